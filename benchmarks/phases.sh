#!/usr/bin/env bash
# JMH: one iteration of RAFT, ReST-EM, GRPO and PPO split into generation, reward, selection /
# advantages and training (AlignIterationBench, built-in arith task), and the host (Java + JNI)
# share of decoding (JMH's perfasm profiler over GenerateBench on the tiny models, and over the
# 124M generate33 of Gpt2SmallBench when its checkpoint is there). Writes
#   benchmarks/results/iteration-phases-DATE.{json,md}   per algorithm: JMH score, phase medians (IterationPhases)
#   benchmarks/results/host-share-DATE.{json,md}         per profile: % of CPU samples by category (HostShare)
# Usage: bash benchmarks/phases.sh        (about 10 minutes on 2 cores; the 124M profile needs ~2 GB)
# Environment:
#   JMH_ARGS="..."  extra JMH arguments for every JMH run (e.g. "-wi 1 -i 2" for a quick check)
#   MODEL124M=DIR   the 124M checkpoint (default /tmp/raftj-gpt2-small-seed0; skipped when absent)
#   SKIP_ITERATION=1 / SKIP_PROFILE=1   skip one part; SKIP_TINY=1 profiles only the 124M decode
#   PROFILE_NAME=NAME   the profile's results are NAME-DATE.{json,md} (default host-share);  KEEP=DIR keeps the raw JMH logs and JSON
# Needs `perf` (linux-tools) with perf_event_paranoid <= 2; cpu-clock works inside VMs without PMU.
set -euo pipefail
# shellcheck disable=SC2086
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
RESULTS="${RESULTS_DIR:-$ROOT/benchmarks/results}"
DATE="$(date +%F)"
work="${KEEP:-$(mktemp -d)}"
mkdir -p "$work" "$RESULTS"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
CP="$(bash benchmarks/classpath.sh)"
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, commit $(git rev-parse --short HEAD)"

if [[ "${SKIP_ITERATION:-0}" != 1 ]]; then
  echo "== one iteration per algorithm, by phase (load $(cut -d' ' -f1-3 /proc/loadavg))"
  java -Draftj.phases="$work" -cp "$CP" org.openjdk.jmh.Main AlignIterationBench ${JMH_ARGS:-} -rf json -rff "$work/iteration.json" \
    >"$work/iteration.log" 2>&1 || { tail -40 "$work/iteration.log" >&2; exit 1; }
  java -cp "$CP" dev.raftj.bench.IterationPhases "$work/iteration.json" "$work" \
    "$RESULTS/iteration-phases-$DATE.json" "$RESULTS/iteration-phases-$DATE.md"
  echo "$machine; load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/iteration-phases-$DATE.md"
  cat "$RESULTS/iteration-phases-$DATE.md"
fi

if [[ "${SKIP_PROFILE:-0}" != 1 ]]; then
  echo "== decode profile: host (Java + JNI) vs native (load $(cut -d' ' -f1-3 /proc/loadavg))"
  name="${PROFILE_NAME:-host-share}"
  mkdir -p "$work/perf"
  prof="perfasm:events=cpu-clock;skipAsm=true;top=10;savePerfBin=true;savePerfBinTo=$work/perf"
  jsons=()
  : >"$work/decode.log"
  if [[ "${SKIP_TINY:-0}" != 1 ]]; then
    java -cp "$CP" org.openjdk.jmh.Main GenerateBench -p threads=1,0 ${JMH_ARGS:-} -prof "$prof" -rf json -rff "$work/decode-tiny.json" \
      >>"$work/decode.log" 2>&1 || { tail -40 "$work/decode.log" >&2; exit 1; }
    jsons+=("$work/decode-tiny.json")
  fi
  if [[ -f "$MODEL/model.safetensors" ]]; then
    java -Draftj.model124m="$MODEL" -cp "$CP" org.openjdk.jmh.Main 'Gpt2SmallBench.generate33' ${JMH_ARGS:-} -prof "$prof" \
      -rf json -rff "$work/decode-124m.json" >>"$work/decode.log" 2>&1 || { tail -40 "$work/decode.log" >&2; exit 1; }
    jsons+=("$work/decode-124m.json")
  fi
  # per thread, second half of each recording (inside the measured iterations)
  for bin in "$work"/perf/*.perfbin; do
    perf report -i "$bin" --time 50%-100% --sort comm,dso -t '|' --stdio 2>/dev/null >"${bin%.perfbin}.threads.txt"
  done
  java -cp "$CP" dev.raftj.bench.HostShare "$work/decode.log" "$work/perf" "$RESULTS/$name-$DATE.json" \
    "$RESULTS/$name-$DATE.md" "${jsons[@]}"
  echo "$machine; load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/$name-$DATE.md"
  cat "$RESULTS/$name-$DATE.md"
fi

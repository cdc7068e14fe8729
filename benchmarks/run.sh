#!/usr/bin/env bash
# raftj CPU benchmarks: builds the root jar and the JMH jar, checks that resident memory stays flat
# across 1,000 generate calls, runs the JMH benchmarks and writes
#   benchmarks/results/cpu-DATE.json      JMH results (-rf json)
#   benchmarks/results/memory-DATE.json   RSS series of the memory check
#   benchmarks/results/cpu-DATE.txt       short text summary (tokens/s, ms per SFT step, memory growth)
#
# Usage (from anywhere; it works from the repo root):
#   bash benchmarks/run.sh                      # default: 1 fork, 2 warmup x 3 s + 3 measured x 4 s per benchmark
#   bash benchmarks/run.sh -wi 1 -i 2 -r 2      # any extra arguments go to JMH (iterations, -p model=llama-tiny, -p threads=1, a regex ...)
# Environment:
#   RAFTJ_REFERENCE=DIR   reference checkpoints (default: the copies in src/test/resources/reference)
#   SKIP_INSTALL=1        do not rebuild/install the root jar (use the one in ~/.m2)
#   RAFTJ_SKIP_NATIVE=0   also build the CUDA kernels when installing (default 1 here: CPU benchmarks do
#                         not use them, and nvcc on 2 cores takes minutes)
#   SKIP_MEMORY=1 / SKIP_JMH=1   skip one of the two parts
#   MEMORY_ARGS="..."     arguments for dev.raftj.bench.MemoryFlat (default: 1,000 calls, bound 50 MB)
#   RESULTS_DIR=DIR       where results go (default benchmarks/results)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${RAFTJ_REFERENCE:-$ROOT/src/test/resources/reference}"
if [[ ! -f "$REF/gpt2-tiny/config.json" || ! -f "$REF/llama-tiny/config.json" ]]; then
  echo "run.sh: reference checkpoints not found under $REF (set RAFTJ_REFERENCE=DIR)" >&2
  exit 2
fi
REF="$(cd "$REF" && pwd)"
RESULTS="${RESULTS_DIR:-$ROOT/benchmarks/results}"
mkdir -p "$RESULTS"
DATE="$(date +%F)"
JMH_JSON="$RESULTS/cpu-$DATE.json"
MEM_JSON="$RESULTS/memory-$DATE.json"
SUMMARY="$RESULTS/cpu-$DATE.txt"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
  echo "== installing the root jar (tests skipped)"
  RAFTJ_SKIP_NATIVE="${RAFTJ_SKIP_NATIVE:-1}" mvn -q -B install -DskipTests
fi
echo "== building benchmarks/target/benchmarks.jar"
mvn -q -B -f benchmarks/pom.xml package
JAR="$ROOT/benchmarks/target/benchmarks.jar"

# DESIGN.md: OpenBLAS threads on top of LibTorch's intra-op threads oversubscribe the cores.
# OpenBLAS reads this when it loads; JMH forks inherit the environment (each fork prints it).
export OPENBLAS_NUM_THREADS=1
# Idle OpenBLAS workers sleep at once instead of spinning ~0.1 s: needed before raftj gives large
# GEMMs more than one BLAS thread (Torch.gemmRows; 124M models), harmless with one.
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
# Sleeping OpenMP workers: spinning ones collapse when other processes share the cores (see raftj).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

mem_rc=0
if [[ "${SKIP_MEMORY:-0}" != 1 ]]; then
  echo "== memory check: RSS across a 1,000-call generate loop"
  # A fixed, pre-touched heap, so heap growth does not show up as RSS growth.
  # shellcheck disable=SC2086
  java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -Xss4m -Draftj.reference="$REF" -cp "$JAR" \
    dev.raftj.bench.MemoryFlat ${MEMORY_ARGS:-} --json "$MEM_JSON" || mem_rc=$?
fi

if [[ "${SKIP_JMH:-0}" != 1 ]]; then
  echo "== JMH benchmarks"
  java -Draftj.reference="$REF" -jar "$JAR" -rf json -rff "$JMH_JSON" "$@"
fi

{
  echo "raftj CPU benchmarks, $DATE, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"\
       "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$([[ -z "$(git -C "$ROOT" status --porcelain -- src 2>/dev/null)" ]] || echo ' + uncommitted src changes'),"\
       "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
  echo "load average before the run: $LOAD_BEFORE"
  java -cp "$JAR" dev.raftj.bench.Summary "$JMH_JSON" "$MEM_JSON"
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$SUMMARY"
echo "== summary ($SUMMARY)"
cat "$SUMMARY"
if [[ $mem_rc != 0 ]]; then
  echo "run.sh: memory check FAILED (exit $mem_rc): resident memory grew beyond the bound" >&2
  exit "$mem_rc"
fi

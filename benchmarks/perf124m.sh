#!/usr/bin/env bash
# The issue-8 benchmark: raftj at GPT-2-small size (124M) against its own GEMM roofline and against
# an older raftj build, side by side in one run, plus the tiny decode benchmark before/after and
# one 124M stage's memory. Writes benchmarks/results/perf124m-DATE/:
#   gemm.json                    JMH Gpt2SmallGemmBench (blas=1,2): the GEMMs each phase cannot avoid
#   before-124m.json after-124m.json   JMH Gpt2SmallBench (prefill, generate33, score, sftStep)
#   before-tiny.json after-tiny.json   JMH GenerateBench (64 prompts x 8 samples x 64 tokens)
#   memory.json memory-before.json   StageMemory: stage time, load time, RSS per part of a stage, the breakdown
#   summary.json, summary.md     the phase table (PerfSummary); run.txt: commits, load, settings
# Usage: bash benchmarks/perf124m.sh            (from anywhere)
# Environment:
#   BASELINE_REF=REF   the "before" build (default 42f4e71, main before the issue-8 work)
#   MODEL124M=DIR      the benchmark model (default /tmp/raftj-gpt2-small-seed0, made with raftj init if absent)
#   JMH_ARGS="..."     extra JMH arguments for every JMH run (e.g. "-i 2")
#   SKIP_BEFORE=1      skip the before build's runs;  SKIP_TINY=1 / SKIP_MEMORY=1 likewise
#   QUIET_MAX_WAIT=S   wait at most S seconds for idle cores before each part (default 120; see quiet.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BASELINE_REF="${BASELINE_REF:-42f4e71}"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/perf124m-$(date +%F)"
mkdir -p "$OUT"
export QUIET_MAX_WAIT="${QUIET_MAX_WAIT:-120}"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

echo "== building (no install): this checkout, and $BASELINE_REF with the same benchmark sources"
AFTER_CP="$(env -u BASELINE_REF -u BASELINE_DIR bash benchmarks/classpath.sh)" # this checkout, whatever the environment names
BEFORE_CP=""
if [[ "${SKIP_BEFORE:-0}" != 1 ]]; then
  # only the benchmarks this script runs on the old build (newer ones use APIs it lacks)
  B="$ROOT/benchmarks/src/main/java/dev/raftj/bench"
  BEFORE_SRC="$B/Gpt2SmallBench.java $B/Gpt2Small.java $B/GenerateBench.java $B/BenchSupport.java $B/StageMemory.java $B/PeakSampler.java"
  BEFORE_CP="$(BENCH_SRC="$BEFORE_SRC" BASELINE_REF="$BASELINE_REF" bash benchmarks/classpath.sh)"
fi
if [[ ! -f "$MODEL/model.safetensors" ]]; then
  echo "== raftj init: $MODEL"
  java -cp "$AFTER_CP" dev.raftj.cli.Main init --config benchmarks/gpt2-small.json \
    --tokenizer src/test/resources/reference/gpt2-tokenizer --seed 0 --out "$MODEL"
fi

RUN="$OUT/run.txt"
{
  echo "raftj perf124m $(date -Is), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "after:  $(git rev-parse --short HEAD)$([[ -z "$(git status --porcelain -- src)" ]] || echo ' + uncommitted src changes')"
  echo "before: $(git rev-parse --short "$BASELINE_REF")"
  echo "model:  $MODEL (benchmarks/gpt2-small.json, seed 0)"
  echo "env:    OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OPENBLAS_THREAD_TIMEOUT=$OPENBLAS_THREAD_TIMEOUT OMP_WAIT_POLICY=$OMP_WAIT_POLICY; LibTorch threads = cores"
} > "$RUN"

part() { # name, then the command
  local name="$1"; shift
  local q; q="$(bash benchmarks/quiet.sh || true)"
  echo "== $name ($q)" | tee -a "$RUN"
  "$@"
  echo "   done, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN"
}
jmh() { # classpath, result file, then JMH arguments
  local cp="$1" rff="$2"; shift 2
  # shellcheck disable=SC2086
  java -Draftj.model124m="$MODEL" -cp "$cp" org.openjdk.jmh.Main "$@" ${JMH_ARGS:-} -rf json -rff "$rff" \
    2>&1 | grep -E '^(Benchmark|Gpt2|Generate|# raftj bench|Iteration)|rror|xception' || true
}

part "GEMM roofline (after build)" jmh "$AFTER_CP" "$OUT/gemm.json" Gpt2SmallGemmBench -p blas=1,2
[[ -n "$BEFORE_CP" ]] && part "124M phases, before ($BASELINE_REF)" jmh "$BEFORE_CP" "$OUT/before-124m.json" Gpt2SmallBench
part "124M phases, after" jmh "$AFTER_CP" "$OUT/after-124m.json" Gpt2SmallBench
if [[ "${SKIP_TINY:-0}" != 1 ]]; then
  [[ -n "$BEFORE_CP" ]] && part "tiny decode, before" jmh "$BEFORE_CP" "$OUT/before-tiny.json" GenerateBench
  part "tiny decode, after" jmh "$AFTER_CP" "$OUT/after-tiny.json" GenerateBench
fi
if [[ "${SKIP_MEMORY:-0}" != 1 ]]; then
  [[ -n "$BEFORE_CP" ]] && part "one 124M stage, before: time, load and memory" java -Draftj.model124m="$MODEL" \
    -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "$BEFORE_CP" dev.raftj.bench.StageMemory --json "$OUT/memory-before.json"
  part "one 124M stage, after: time, load and memory" java -Draftj.model124m="$MODEL" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
    -cp "$AFTER_CP" dev.raftj.bench.StageMemory --json "$OUT/memory.json"
fi
echo "== summary"
java -cp "$AFTER_CP" dev.raftj.bench.PerfSummary "$OUT" | tee "$OUT/summary.md"
echo "results in $OUT"

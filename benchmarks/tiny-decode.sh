#!/usr/bin/env bash
# Tiny-model decode (issue 8's "2x vs the pre-work baseline"): JMH GenerateBench (64 prompts × 8
# samples × 64 new tokens) on each git ref in turn, in one run, each ref exported and built without
# installing anything (benchmarks/classpath.sh with BASELINE_REF; the same benchmark sources for all).
# Writes benchmarks/results/tiny-decode-DATE-HHMM/REF.json and run.txt.
# Usage: flock /work/heavy.lock bash benchmarks/tiny-decode.sh REF...      (~1 min per ref)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/tiny-decode-$(date +%F-%H%M)"
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
BENCH="$ROOT/benchmarks/src/main/java/dev/raftj/bench"
echo "raftj tiny-decode $(date -Is), $(nproc) cores, refs: $*" >"$OUT/run.txt"
for ref in "$@"; do
  sha="$(git rev-parse --short "$ref")"
  # only GenerateBench and its helper (the other benchmarks need APIs an old ref may lack)
  cp="$(BENCH_SRC="$BENCH/GenerateBench.java $BENCH/BenchSupport.java" BENCH_OUT="/tmp/raftj-tiny-bench-$sha" \
    BASELINE_REF="$sha" BASELINE_DIR="/tmp/raftj-tiny-$sha" \
    bash benchmarks/classpath.sh)"
  echo "== $sha ($(bash benchmarks/quiet.sh || true))" | tee -a "$OUT/run.txt"
  java -cp "$cp" org.openjdk.jmh.Main GenerateBench ${JMH_ARGS:-} -rf json -rff "$OUT/$sha.json" 2>&1 \
    | grep -E '^(Benchmark|GenerateBench)' | tee -a "$OUT/run.txt"
done

#!/usr/bin/env bash
# Tiny-model decode (issue 8's "2x vs the pre-work baseline"): JMH GenerateBench (64 prompts × 8
# samples × 64 new tokens) on each git ref in turn, in one run, each ref exported and built without
# installing anything (benchmarks/classpath.sh with BASELINE_REF; the same benchmark sources for all).
# Writes benchmarks/results/tiny-decode-DATE-HHMM/REF.json and run.txt.
# Usage: flock /work/heavy.lock bash benchmarks/tiny-decode.sh REF...      (~1 min per ref and round)
# Environment: ROUNDS (default 1), JMH_ARGS (e.g. "-p model=llama-tiny -wi 2 -i 3" for one model)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/tiny-decode-$(date +%F-%H%M)"
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
BENCH="$ROOT/benchmarks/src/main/java/dev/raftj/bench"
echo "raftj tiny-decode $(date -Is), $(nproc) cores, refs: $*, rounds: ${ROUNDS:-1}" >"$OUT/run.txt"
declare -A CP
for ref in "$@"; do
  sha="$(git rev-parse --short "$ref")"
  # only GenerateBench and its helper (the other benchmarks need APIs an old ref may lack)
  CP[$sha]="$(BENCH_SRC="$BENCH/GenerateBench.java $BENCH/BenchSupport.java" BENCH_OUT="/tmp/raftj-tiny-bench-$sha" \
    BASELINE_REF="$sha" BASELINE_DIR="/tmp/raftj-tiny-$sha" \
    bash benchmarks/classpath.sh)"
done
# ROUNDS > 1 alternates the refs round by round, so that drifting load hits each (an A/B): REF-N.json
for round in $(seq 1 "${ROUNDS:-1}"); do
  for ref in "$@"; do
    sha="$(git rev-parse --short "$ref")"
    name="$sha"; [[ "${ROUNDS:-1}" == 1 ]] || name="$sha-$round"
    echo "== $name ($(bash benchmarks/quiet.sh || true))" | tee -a "$OUT/run.txt"
    # shellcheck disable=SC2086
    java -cp "${CP[$sha]}" org.openjdk.jmh.Main GenerateBench ${JMH_ARGS:-} -rf json -rff "$OUT/$name.json" 2>&1 \
      | grep -E '^(Benchmark|GenerateBench)' | tee -a "$OUT/run.txt"
  done
done

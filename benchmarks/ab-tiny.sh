#!/usr/bin/env bash
# A/B of tiny decode: JMH GenerateBench (64 prompts × 8 samples × 64 tokens) on two git refs,
# alternated ROUNDS times in one run so that drifting load hits both, each part after quiet.sh.
# Each ref is exported and built without installing anything (classpath.sh), with this checkout's
# benchmark sources. Writes benchmarks/results/ab-tiny-DATE-HHMM/{A,B}N.json and run.txt.
# Usage: flock /work/heavy.lock bash benchmarks/ab-tiny.sh REF_A REF_B   (~1 min per part)
# Environment: MODEL (default llama-tiny; or gpt2-tiny), ROUNDS (default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/ab-tiny-$(date +%F-%H%M)"
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
BENCH="$ROOT/benchmarks/src/main/java/dev/raftj/bench"
declare -A CP SHA
for which in A B; do
  ref="${1:?usage: ab-tiny.sh REF_A REF_B}"; [[ "$which" == B ]] && ref="${2:?usage: ab-tiny.sh REF_A REF_B}"
  SHA[$which]="$(git rev-parse --short "$ref")"
  CP[$which]="$(BENCH_SRC="$BENCH/GenerateBench.java $BENCH/BenchSupport.java" BENCH_OUT="/tmp/raftj-ab-bench-${SHA[$which]}" \
    BASELINE_REF="${SHA[$which]}" BASELINE_DIR="/tmp/raftj-ab-${SHA[$which]}" bash benchmarks/classpath.sh)"
done
echo "raftj ab-tiny $(date -Is), $(nproc) cores, model ${MODEL:-llama-tiny}: A ${SHA[A]}, B ${SHA[B]}" | tee "$OUT/run.txt"
for round in $(seq 1 "${ROUNDS:-3}"); do
  for which in A B; do
    q="$(bash benchmarks/quiet.sh || true)"
    java -cp "${CP[$which]}" org.openjdk.jmh.Main GenerateBench -p model="${MODEL:-llama-tiny}" -wi 2 -i 3 \
      -rf json -rff "$OUT/$which$round.json" >/dev/null 2>&1
    secs="$(python3 -c "import json,sys; print(' / '.join('%.3f' % (32768 / x) for b in json.load(open(sys.argv[1])) for x in b['primaryMetric']['rawData'][0]))" "$OUT/$which$round.json")"
    echo "round $round $which ${SHA[$which]} ($q): $secs s per call" | tee -a "$OUT/run.txt"
  done
done

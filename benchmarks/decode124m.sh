#!/usr/bin/env bash
# 124M decode, before vs after, side by side in one run (issue 8): DecodeProfile (16 prompts × 4
# samples × 32 tokens, sampled: generate33 − prefill, medians; plus each part of a 64-row step at
# its own shapes, the GEMM roofline among them) on two builds, alternated ROUNDS times so that drifting
# load hits both. Writes benchmarks/results/decode124m-DATE/{before,after}-N.txt and run.txt.
# Usage: flock /work/heavy.lock bash benchmarks/decode124m.sh BEFORE_REF [AFTER_REF]   (~4 min)
# Environment: MODEL124M=DIR (default /tmp/raftj-gpt2-small-seed0), ROUNDS (default 3), REPS (default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BEFORE="$(git rev-parse --short "${1:?usage: decode124m.sh BEFORE_REF [AFTER_REF]}")"
AFTER="$(git rev-parse --short "${2:-HEAD}")"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/decode124m-$(date +%F)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
declare -A CP
for which in before after; do
  sha="$BEFORE"; [[ "$which" == after ]] && sha="$AFTER"
  mkdir -p "$WORK/$which"
  git archive "$sha" | tar -x -C "$WORK/$which"
  # the same (this checkout's) benchmark sources against each build
  CP[$which]="$(BENCH_SRC="$ROOT/benchmarks/src/main/java" BENCH_OUT="$WORK/bench-$which" bash benchmarks/classpath.sh "$WORK/$which")"
done
echo "raftj decode124m $(date -Is): before $BEFORE, after $AFTER; $(nproc) cores; model $MODEL" >"$OUT/run.txt"
for round in $(seq 1 "${ROUNDS:-3}"); do
  for which in before after; do
    q="$(bash benchmarks/quiet.sh || true)"
    echo "round $round $which ($q)" | tee -a "$OUT/run.txt"
    java -Draftj.model124m="$MODEL" -cp "${CP[$which]}" dev.raftj.bench.DecodeProfile "${REPS:-3}" 2>&1 \
      | grep -v 'INFO\|KernelChoice' | tee "$OUT/$which-$round.txt"
  done
done

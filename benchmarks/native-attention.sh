#!/usr/bin/env bash
# The decode-attention CPU kernel alone, old against new (issue 8): builds
# src/main/native/cpu/decode_attention.cpp of each git ref (WORKTREE = this checkout's files) with
# cmake/build-cpu.sh's flags, links benchmarks/native/decode_attention_bench.cpp to each, and runs
# both at the tiny models' and at 124M's decode shapes, alternated, in one run (one thread each).
# Writes benchmarks/results/native-attention-DATE-HHMM.txt.
# Usage: bash benchmarks/native-attention.sh OLD_REF [NEW_REF]     (NEW_REF default WORKTREE; ~1 min)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OLD="${1:?usage: native-attention.sh OLD_REF [NEW_REF]}"
NEW="${2:-WORKTREE}"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/native-attention-$(date +%F-%H%M).txt"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cxx="${CXX:-c++}"
build() { # ref name
  local ref="$1" name="$2" src="$WORK/$2"
  mkdir -p "$src"
  if [[ "$ref" == WORKTREE ]]; then
    cp src/main/native/cpu/*.cpp src/main/native/cpu/*.h "$src/"
  else
    git archive "$ref" src/main/native/cpu | tar -x -C "$WORK" && cp "$WORK"/src/main/native/cpu/* "$src/"
  fi
  "$cxx" -O3 -std=c++17 -fno-trapping-math -fPIC -fvisibility=hidden -DRAFTJ_BUILDING=1 -shared \
    -o "$src/libraftj_cpu.so" "$src/decode_attention.cpp"
  "$cxx" -O2 -std=c++17 -I"$src" benchmarks/native/decode_attention_bench.cpp -L"$src" -lraftj_cpu \
    -Wl,-rpath,"$src" -o "$WORK/bench-$name"
}
build "$OLD" old
build "$NEW" new
{
  echo "raftj native-attention $(date -Is), old $OLD, new $NEW, $(bash benchmarks/quiet.sh || true)"
  # gpt2-tiny / llama-tiny decode (512 rows, 4 heads of 16, ~8 prompt + up to 64 new keys), 124M (64 rows, 12 heads of 64)
  for shape in "8 40 16 4" "512 40 16 4" "512 72 16 4" "64 24 64 12" "64 48 64 12"; do
    for name in old new; do
      echo "$name | $("$WORK/bench-$name" $shape)"
    done
  done
} | tee "$OUT"

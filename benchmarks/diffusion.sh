#!/usr/bin/env bash
# RAFT on the built-in diffusion task (shapes-diffusion: the shipped 164k-parameter class-conditional
# U-Net, reward = left-right mirror symmetry; its preset fine-tunes only at t >= 600, chosen by
# benchmarks/diffusion-levers.sh), several seeds. Writes
#   benchmarks/results/diffusion-shapes.json   stage-by-stage mean ± sd across seeds + every run's base/final figures
#   benchmarks/results/diffusion-shapes.md     base → final per seed and on average (README's table)
#   benchmarks/results/diffusion-shapes.png    eval reward, class accuracy, diversity, sample reward per stage
#   benchmarks/results/diffusion-shapes-before.png / -after.png   the first seed's fixed-seed evaluation grid
#                                                                 at stage 0 and after the last stage (a row pair per class)
# Usage: flock /work/heavy.lock bash benchmarks/diffusion.sh   (SEEDS="1 2 3" by default; KEEP=DIR keeps the runs)
set -euo pipefail
seeds="${SEEDS:-1 2 3}"
source "$(dirname "${BASH_SOURCE[0]}")/runs-setup.sh"
start=$(date +%s)
runs=()
for seed in $seeds; do
  dir="$work/shapes-diffusion-seed$seed"
  echo "== shapes-diffusion seed $seed" >&2
  ./raftj align --task shapes-diffusion --set "seed=$seed" --out "$dir" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
  tail -1 "$dir.log" >&2
  runs+=("$dir")
done
OPENBLAS_NUM_THREADS=1 java -cp "$root/target/raftj-0.1.0-SNAPSHOT.jar" dev.raftj.diffusion.DiffusionBenchmark \
  "$results/diffusion-shapes" "${runs[@]}"
first="${runs[0]}"
cp "$first/grids/stage-000.png" "$results/diffusion-shapes-before.png"
cp "$(ls "$first"/grids/stage-*.png | sort | tail -1)" "$results/diffusion-shapes-after.png"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "
$(echo $seeds | wc -w) seeds in $(( $(date +%s) - start )) s wall; machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, load $load_before -> $load_after, commit $(git rev-parse --short HEAD)" \
  >>"$results/diffusion-shapes.md"
cat "$results/diffusion-shapes.md"

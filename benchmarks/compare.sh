#!/usr/bin/env bash
# RAFT vs ReST-EM vs GRPO vs PPO on one built-in task, same base policy, reward and number of
# samples drawn, several seeds each. Writes
#   benchmarks/results/compare-TASK.json   every run's summary.json + stage-by-stage mean ± sd across seeds
#   benchmarks/results/compare-TASK.md     the final figures as a Markdown table (README's table)
#   benchmarks/results/compare-TASK.png    one panel per measure (held-out reward vs samples and vs
#                                          time, KL, perplexity, distinct-2, peak memory), mean ± sd
# Usage: bash benchmarks/compare.sh [arith|sentiment]   (SEEDS="1 2 3" by default; KEEP=DIR keeps the runs)
# Each algorithm runs its task preset (src/main/java/dev/raftj/cli/BuiltinTasks.java); ReST-EM's
# Grow steps are sized to RAFT's budget: arith 15 stages × 64 prompts × 8 = 7,680 samples for
# RAFT, GRPO and PPO, and 2 Grow steps × 480 prompts × 8 = 7,680 for ReST-EM; sentiment 10 × 64 × 8
# = 5,120, and 5 Grow steps × 128 × 8 = 5,120 for ReST-EM.
set -euo pipefail
task="${1:-arith}"
seeds="${SEEDS:-1 2 3}"
case "$task" in
  arith) restem=(--stages 2 --set rest.grow_prompts=480) ;;
  # sentiment's reward is a reward-model score, not 0/1: ReST-EM counts a sample as a success when
  # σ(score) ≥ 0.95, i.e. score ≥ 3.0 (the reward model is 95% sure the text is positive)
  sentiment) restem=(--stages 5 --set rest.grow_prompts=128 --set rest.success_threshold=3.0) ;;
  *) echo "compare.sh: no equal-budget ReST-EM settings for task '$task' (arith, sentiment)" >&2; exit 2 ;;
esac
source "$(dirname "${BASH_SOURCE[0]}")/runs-setup.sh"
runs=()
for seed in $seeds; do
  for algo in raft rest-em grpo ppo; do
    extra=()
    [ "$algo" = rest-em ] && extra=("${restem[@]}")
    dir="$work/$task-$algo-seed$seed"
    echo "== $task $algo seed $seed" >&2
    ./raftj align --task "$task" --algorithm "$algo" --set "seed=$seed" "${extra[@]}" --out "$dir" >"$dir.log" 2>&1 \
      || { cat "$dir.log" >&2; exit 1; }
    tail -1 "$dir.log" >&2
    runs+=("$algo=$dir")
  done
done
OPENBLAS_NUM_THREADS=1 java -cp "$root/target/raftj-0.1.0-SNAPSHOT.jar" dev.raftj.report.Comparison \
  "$results/compare-$task.json" "$results/compare-$task.png" "$task" "${runs[@]}"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, load $load_before -> $load_after, commit $(git rev-parse --short HEAD)" \
  >>"$results/compare-$task.md"
cat "$results/compare-$task.md"

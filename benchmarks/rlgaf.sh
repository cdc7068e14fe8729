#!/usr/bin/env bash
# RLGAF on the built-in sentiment-style task: the reward is a discriminator trained each stage
# against positive reference continuations; the sentiment reward model, which it never sees, is the
# independent measure. RAFT, GRPO and PPO with the task preset (src/main/java/dev/raftj/cli/BuiltinTasks.java),
# and a control: RAFT whose discriminator is never trained (no warm-up, 0 steps per stage), so its
# reward is a fixed random head: what RAFT's own fine-tuning does without an adversarial signal.
# Writes
#   benchmarks/results/rlgaf-sentiment-style.json  every run's summary + stage-by-stage mean ± sd across seeds
#   benchmarks/results/rlgaf-sentiment-style.md    first → last stage per algorithm, then every stage
#   benchmarks/results/rlgaf-sentiment-style.png   one panel per measure, mean ± sd
# Usage: bash benchmarks/rlgaf.sh   (SEEDS="1 2 3" by default; KEEP=DIR keeps the runs)
set -euo pipefail
task=sentiment-style
seeds="${SEEDS:-1 2 3}"
source "$(dirname "${BASH_SOURCE[0]}")/runs-setup.sh"
runs=()
for seed in $seeds; do
  for algo in raft grpo ppo control; do
    case "$algo" in
      control) args=(--algorithm raft --set discriminator.warmup_steps=0 --set discriminator.steps_per_stage=0) ;;
      *) args=(--algorithm "$algo") ;;
    esac
    dir="$work/$task-$algo-seed$seed"
    echo "== $task $algo seed $seed" >&2
    ./raftj align --task "$task" "${args[@]}" --set "seed=$seed" --out "$dir" >"$dir.log" 2>&1 \
      || { cat "$dir.log" >&2; exit 1; }
    tail -1 "$dir.log" >&2
    runs+=("$algo=$dir")
  done
done
OPENBLAS_NUM_THREADS=1 java -cp "$root/target/raftj-0.1.0-SNAPSHOT.jar" dev.raftj.report.RlgafReport \
  "$results/rlgaf-$task.json" "$results/rlgaf-$task.png" "$task" "${runs[@]}"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "
machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, load $load_before -> $load_after, commit $(git rev-parse --short HEAD)" \
  >>"$results/rlgaf-$task.md"
cat "$results/rlgaf-$task.md"

#!/usr/bin/env bash
# One iteration of RAFT, ReST-EM, GRPO and PPO at GPT-2-small size (124M), one after another in one
# run: memory and time. Each is a real `raftj align` run of one stage on the same workload: the
# seeded random 124M checkpoint of benchmarks/perf124m.sh (raftj init --config
# benchmarks/gpt2-small.json, real GPT-2 tokenizer), its 16 prompts × 4 samples × 32 new tokens
# (64 samples drawn), a rule reward (regex "[0-9]": 1 when the response holds a digit), training
# micro-batches of 8 rows for all four (PPO's critic starts from the policy). Writes
#   benchmarks/results/iteration124m-DATE.json   per algorithm: peak RSS (whole process, /usr/bin/time;
#                                               VmHWM at the end of the stage; RssAnon/RssFile at the
#                                               peak sample), wall time and the phase split (metrics.jsonl
#                                               time.*), optimizer steps, AdamW state bytes, models loaded
#   benchmarks/results/iteration124m-DATE.md     the same as a Markdown table, RAFT/PPO peak ratio
# Usage: flock /work/heavy.lock bash benchmarks/iteration124m.sh     (needs ~6 GB and ~10 min on 2 cores)
# Environment:
#   MODEL124M=DIR   the checkpoint (default /tmp/raftj-gpt2-small-seed0, made with raftj init if absent)
#   ALGOS="..."     which algorithms (default "raft rest-em grpo ppo")
#   KEEP=DIR        keep the runs (metrics, logs, RSS samples) in DIR
#   MICRO=N         sft.micro_batch_size (rows per forward+backward inside a step); default the batch
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
ALGOS="${ALGOS:-raft rest-em grpo ppo}"
export QUIET_MAX_WAIT="${QUIET_MAX_WAIT:-60}"
RESULTS="${RESULTS_DIR:-$ROOT/benchmarks/results}"
OUT="$RESULTS/iteration124m-$(date +%F)"
work="${KEEP:-$(mktemp -d)}"
mkdir -p "$work" "$RESULTS"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT

CP="$(bash benchmarks/classpath.sh)"
./raftj --version >/dev/null   # builds the jar once, outside the measurements
if [[ ! -f "$MODEL/model.safetensors" ]]; then
  echo "== raftj init: $MODEL"
  java -cp "$CP" dev.raftj.cli.Main init --config benchmarks/gpt2-small.json \
    --tokenizer src/test/resources/reference/gpt2-tokenizer --seed 0 --out "$MODEL"
fi
java -cp "$CP" dev.raftj.bench.Gpt2Small "$work/prompts.jsonl"
cat > "$work/run.yaml" <<EOF
model: $MODEL
reward: {regex: {pattern: "[0-9]"}}
prompts: prompts.jsonl
eval_fraction: 0.0              # no held-out evaluation: the stage is the iteration alone
seed: 1
sampling: {k: 4, temperature: 1.0, max_new_tokens: 32}
sft: {epochs: 2, lr: 1.0e-5, batch_size: 8, micro_batch_size: ${MICRO:-8}}
raft: {stages: 1, batch_prompts: 16}                      # best 1 of 4 per prompt: 16 rows, 2 epochs
rest: {grow_steps: 1, grow_prompts: 16}                   # ReST-EM: the successes, 2 epochs, from the base
grpo: {stages: 1, batch_prompts: 16, minibatches: 8}      # 64 rows in 8 steps of 8
ppo: {stages: 1, batch_prompts: 16, minibatches: 8, critic: policy}   # 4 epochs x 8 steps of 8
EOF

# Prints "seconds VmRSS RssAnon RssFile" (kB) of PID's child (raftj execs java) every 0.2 s while it runs.
sample_rss() {
  local parent="$1" t0 pid
  t0="$(date +%s%N)"
  while kill -0 "$parent" 2>/dev/null; do
    pid="$(pgrep -P "$parent" | head -1 || true)"
    if [[ -n "$pid" && -r /proc/$pid/status ]]; then
      awk -v ms="$(( ($(date +%s%N) - t0) / 1000000 ))" '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2}
        END{if (r != "") print ms / 1000, r, a, f}' "/proc/$pid/status" 2>/dev/null || true
    fi
    sleep 0.2
  done
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
runs=()
for algo in $ALGOS; do
  dir="$work/$algo"
  echo "== $algo ($(bash benchmarks/quiet.sh || true))" >&2
  /usr/bin/time -v -o "$dir.time" ./raftj align --config "$work/run.yaml" --algorithm "$algo" --out "$dir" \
    >"$dir.log" 2>&1 &
  tpid=$!
  sample_rss "$tpid" >"$dir.rss" &
  spid=$!
  wait "$tpid" || { cat "$dir.log" >&2; exit 1; }
  wait "$spid" || true
  tail -2 "$dir.log" >&2
  runs+=("$algo=$dir")
done
{
  echo "raftj iteration124m $(date -Is), commit $(git rev-parse --short HEAD)$([[ -z "$(git status --porcelain -- src)" ]] || echo ' + uncommitted src changes')"
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load $load_before -> $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "model: $MODEL (benchmarks/gpt2-small.json, seed 0)"
} >"$work/machine.txt"
java -cp "$CP" dev.raftj.bench.IterationReport "$OUT.json" "$OUT.md" "$work/machine.txt" "$work/run.yaml" "${runs[@]}"
cat "$OUT.md"

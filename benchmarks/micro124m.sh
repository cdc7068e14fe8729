#!/usr/bin/env bash
# Memory and time of one 124M stage by SFT micro-batch size (sft.micro_batch_size, issue 8), two ways,
# once per micro-batch size in MICROS, the sizes alternated over ROUNDS rounds, one build, one run:
#   - StageMemory: load policy + reference, generate 16 × 4 × 32, reference + policy log-probs,
#     2 SFT steps of 8 rows; floor = weights + grads + AdamW + reference;
#   - a real `raftj align` RAFT stage (benchmarks/iteration124m.sh, ALGOS=raft: 16 prompts × 4
#     samples × 32 tokens, best of 4 kept, 2 epochs in steps of 8; no KL, so no reference loaded;
#     peak from /usr/bin/time -v); floor = weights + grads + AdamW.
# Writes benchmarks/results/micro124m-DATE-HHMM/:
#   stage-mMICRO-rROUND.json/.txt   StageMemory's report (RSS per part, peak per phase, breakdown)
#   align-mMICRO-rROUND.json/.md    iteration124m.sh's report of the align run
#   table.md                        one row per run: peak RSS, floor, peak / floor, training and stage time
# Usage: flock /work/heavy.lock bash benchmarks/micro124m.sh     (~2.5 min a size and round on 2 idle cores)
# Environment: MICROS="8 4 2" (8 = the whole batch), ROUNDS=2, MODEL124M=DIR (default
#   /tmp/raftj-gpt2-small-seed0; made with raftj init if absent), RESULTS_DIR=DIR
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MICROS="${MICROS:-8 4 2}"
ROUNDS="${ROUNDS:-2}"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/micro124m-$(date +%F-%H%M)"
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
CP="$(bash benchmarks/classpath.sh)"
if [[ ! -f "$MODEL/model.safetensors" ]]; then
  java -cp "$CP" dev.raftj.cli.Main init --config benchmarks/gpt2-small.json \
    --tokenizer src/test/resources/reference/gpt2-tokenizer --seed 0 --out "$MODEL"
fi
{
  echo "raftj micro124m $(date -Is), commit $(git rev-parse --short HEAD), $(nproc) cores"
  echo
  echo "| round | run | micro-batch rows | peak RSS, MiB | floor, MiB | peak / floor | training, s | stage, s | quiet |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$OUT/table.md"

stage_memory() { # micro, round
  local m="$1" round="$2" quiet name="stage-m$1-r$2"
  quiet="$(bash benchmarks/quiet.sh || true)"
  java -Draftj.model124m="$MODEL" -Draftj.sft.micro="$m" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
    -cp "$CP" dev.raftj.bench.StageMemory --json "$OUT/$name.json" 2>&1 | grep -v '^INFO\|KernelChoice' >"$OUT/$name.txt"
  python3 - "$OUT/$name.json" "$round" "$m" "$quiet" >>"$OUT/table.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
mib = r['peak_rss_mb']  # VmHWM / 1024: MiB
print(f"| {sys.argv[2]} | StageMemory (2 SFT steps) | {sys.argv[3]} | {mib:.0f} | {r['weights_grads_adamw_reference_mb']:.0f} |"
      f" {r['peak_over_floor']:.3f} | {r['time_sft_s']:.2f} | {r['time_stage_s']:.2f} | {sys.argv[4]} |")
PY
}

align_stage() { # micro, round
  local m="$1" round="$2" quiet row peak floor name="align-m$1-r$2"
  quiet="$(bash benchmarks/quiet.sh || true)"
  MICRO="$m" ALGOS=raft MODEL124M="$MODEL" RESULTS_DIR="$OUT/$name.tmp" bash benchmarks/iteration124m.sh \
    >"$OUT/$name.log" 2>&1 || { tail -20 "$OUT/$name.log" >&2; exit 1; }
  mv "$OUT/$name.tmp"/iteration124m-*.json "$OUT/$name.json"
  mv "$OUT/$name.tmp"/iteration124m-*.md "$OUT/$name.md"
  rm -rf "$OUT/$name.tmp" "$OUT/$name.log"
  # iteration124m's row: | algo | peak RSS | VmHWM | anon + file | file | iteration | generation | reward |
  #   selection | training | steps | models | AdamW MB | weights + grads + AdamW MiB |
  row="$(sed -n 3p "$OUT/$name.md")"
  peak="$(echo "$row" | cut -d'|' -f3 | tr -d ' ')"
  floor="$(echo "$row" | cut -d'|' -f15 | tr -d ' ')"
  echo "| $round | raftj align, RAFT (4 SFT steps) | $m | $peak | $floor | $(python3 -c "print(f'{$peak / $floor:.3f}')") |$(echo "$row" | cut -d'|' -f11)|$(echo "$row" | cut -d'|' -f7)| $quiet |" >>"$OUT/table.md"
}

for round in $(seq 1 "$ROUNDS"); do
  for m in $MICROS; do
    stage_memory "$m" "$round"
    tail -1 "$OUT/table.md" >&2
    align_stage "$m" "$round"
    tail -1 "$OUT/table.md" >&2
  done
done
cat "$OUT/table.md"

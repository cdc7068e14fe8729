#!/usr/bin/env bash
# raftj's LoRA against Hugging Face PEFT: for gpt2-tiny (Conv1D, fan_in_fan_out, rsLoRA, r 4, α 8 on
# c_attn, c_proj, c_fc) and llama-tiny (r 8, α 16 on all 7 projections), the reference checkpoints in
# src/test/resources/reference/, it trains an adapter with `raftj align` (RAFT, 2 stages × 8 prompts ×
# 4 samples, reward: gpt2-reward-tiny), then benchmarks/peft-check/peft_check.py loads base + adapter
# with PeftModel.from_pretrained and compares greedy tokens and per-token log-probs with
# `raftj generate --adapter`, `raftj merge` with merge_and_unload() and with W + s·B·A, the merged
# folder loaded in transformers with raftj's log-probs, and checks that a tampered lora_alpha fails.
# Reward models (`raftj score --adapter`), the other direction: seqcls_check.py saves a SEQ_CLS adapter
# for gpt2-reward-tiny with PEFT (LoRA on c_attn, c_fc + the score head) and compares scores.
# Needs the Python stack of benchmarks/peft-check/stack.sh in $PYSTACK (default /work/pystack).
# Writes benchmarks/results/peft-check.{json,md} (or into $RESULTS); exits 1 unless every check passes.
# Usage: bash benchmarks/peft-check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYSTACK="${PYSTACK:-/work/pystack}"
RESULTS="${RESULTS:-$ROOT/benchmarks/results}"
PY() { PYTHONPATH="$PYSTACK/site" /usr/bin/python3 -W ignore "$@"; }
PY -c "import peft, transformers, safetensors.torch" 2>/dev/null \
  || { echo "peft-check: no PEFT stack in $PYSTACK/site; build it with benchmarks/peft-check/stack.sh" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mvn -o -q -Draftj.native.skip=true -DskipTests package
cp -r target/lib "$WORK/lib" && cp target/raftj-0.1.0-SNAPSHOT.jar "$WORK/raftj.jar"
export OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
raftj() { java -jar "$WORK/raftj.jar" "$@" --threads 1 2>>"$WORK/raftj.log"; }
REF="$ROOT/src/test/resources/reference"
# Prompts: golden.json's tokenizer samples, whose ids HF tokenizers gave (so Python needs no tokenizer).
mapfile -t PROMPTS < <(python3 -c "
import json, sys
for s in json.load(open(sys.argv[1]))['tokenizer_samples']:
    if s['text']: print(s['text'])" "$REF/gpt2-tiny/golden.json")
PROMPT_ARGS=(); for p in "${PROMPTS[@]}"; do PROMPT_ARGS+=(--prompt "$p"); done
python3 -c "
import json
ps = ['The movie was', 'Reward ranked', 'Free software is', '12+35=', 'The license grants you', 'A small model', 'Once upon a time', 'The GNU']
open('$WORK/prompts.jsonl', 'w').write(''.join(json.dumps({'prompt': p}) + '\n' for p in ps))"
declare -A LORA=(
  [gpt2]="{r: 4, alpha: 8, dropout: 0.05, rslora: true, target_modules: [c_attn, c_proj, c_fc]}"
  [llama]="{r: 8, alpha: 16, dropout: 0.05, target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}"
)
for family in gpt2 llama; do
  base="$REF/$family-tiny" run="$WORK/$family"
  cat > "$WORK/$family.yaml" <<YAML
model: $base
reward: {model: $REF/gpt2-reward-tiny}
prompts: $WORK/prompts.jsonl
seed: 7
sampling: {k: 4, max_new_tokens: 8}
sft: {epochs: 2, lr: 2.0e-2, batch_size: 4, lora: ${LORA[$family]}}
raft: {stages: 2, batch_prompts: 8}
YAML
  raftj align --config "$WORK/$family.yaml" --out "$run" | tail -1
  raftj merge --model "$base" --adapter "$run/checkpoint" --out "$WORK/$family-merged" >/dev/null
  gen=(--greedy --ignore-eos --max-new-tokens 16 --format json "${PROMPT_ARGS[@]}")
  raftj generate --model "$base" --adapter "$run/checkpoint" "${gen[@]}" > "$WORK/$family-gen.jsonl"
  raftj generate --model "$WORK/$family-merged" "${gen[@]}" > "$WORK/$family-merged-gen.jsonl"
  cp "$run/checkpoint/adapter_config.json" "$WORK/$family-adapter_config.json"
  PY benchmarks/peft-check/peft_check.py --family "$family" --base "$base" --adapter "$run/checkpoint" \
    --merged "$WORK/$family-merged" --prompts "$REF/$family-tiny/golden.json" --raftj-gen "$WORK/$family-gen.jsonl" \
    --raftj-merged-gen "$WORK/$family-merged-gen.jsonl" --out "$WORK/$family-check.json"
done
sc="$WORK/seqcls"
PY benchmarks/peft-check/seqcls_check.py make "$REF/gpt2-reward-tiny" "$REF/gpt2-tiny/golden.json" "$sc"
mapfile -d '' SCORE_ARGS < "$sc/score-args"
for a in adapter tampered; do
  raftj score --reward-model "$REF/gpt2-reward-tiny" --adapter "$sc/$a" --format json "${SCORE_ARGS[@]}" > "$sc/raftj-$a.jsonl"
done
PY benchmarks/peft-check/seqcls_check.py compare "$REF/gpt2-reward-tiny" "$REF/gpt2-tiny/golden.json" "$sc" \
  "$sc/raftj-adapter.jsonl" "$sc/raftj-tampered.jsonl" "$WORK/seqcls-check.json"
PY benchmarks/peft-check/report.py "$WORK" "$RESULTS" "$(git rev-parse --short HEAD)" gpt2 llama

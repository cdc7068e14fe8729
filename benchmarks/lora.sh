#!/usr/bin/env bash
# LoRA vs full fine-tuning, one RAFT stage through `raftj align`, each run in its own JVM:
# trainable parameters and optimizer bytes (read from the checkpoint the run wrote), peak resident
# memory (the stage's metrics line, VmHWM, and /usr/bin/time's maximum RSS of the process), stage
# and phase times. Shapes: GPT-2-small (124M, benchmarks/gpt2-small.json) with LoRA and with full
# fine-tuning, and a TinyLlama-shaped ≈1.2B Llama (benchmarks/llama-1b.json) with LoRA only: full
# fine-tuning at 1.2B needs weights + gradients + AdamW + reference ≈ 23.5 GB of float32, more than
# this 24 GiB machine shared by other jobs can give. Seeded random weights (`raftj init`), the real
# GPT-2 tokenizer. The stage mirrors benchmarks' StageMemory: 16 prompts × 4 samples × 32 new
# tokens, KL-adjusted global ranking (so π0's log-probs are taken), SFT on the top quarter
# (16 rows) in 2 AdamW steps of 8.
# Writes benchmarks/results/lora-DATE/{RUN.json,RUN.time.txt}, summary.json, summary.md.
# Usage: flock /work/heavy.lock bash benchmarks/lora.sh      (SKIP_1B=1 skips the 1.2B run)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
cd "$ROOT"
OUT="${RESULTS_DIR:-$ROOT/benchmarks/results}/lora-$(date +%F)"
WORK="${LORA_WORK:-/tmp/raftj-lora-bench}"
M124="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
M1B="${MODEL1B:-/tmp/raftj-llama-1b-seed0}"
TOK=src/test/resources/reference/gpt2-tokenizer
mkdir -p "$OUT" "$WORK"
mvn -o -q -Draftj.native.skip=true -DskipTests package
# A private copy of the jar, so that edits to this checkout during the runs cannot change it.
rm -rf "$WORK/lib" && cp -r target/lib "$WORK/lib" && cp target/raftj-0.1.0-SNAPSHOT.jar "$WORK/raftj.jar"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
RAFTJ="$WORK/raftj"
printf '#!/usr/bin/env bash\nexec java -jar %s "$@"\n' "$WORK/raftj.jar" > "$RAFTJ"
chmod +x "$RAFTJ"
echo "commit $(git rev-parse --short HEAD)$([[ -z "$(git status --porcelain -- src)" ]] || echo ' + uncommitted src changes'), $(nproc) cores" > "$OUT/run.txt"
[[ -f "$M124/model.safetensors" ]] || "$RAFTJ" init --config benchmarks/gpt2-small.json --tokenizer "$TOK" --seed 0 --out "$M124"

python3 - "$WORK" <<'PY'
import json, sys, os
w = sys.argv[1]
train = ["The history of the city begins", "In a small village near the river", "The committee decided that",
         "Scientists have recently discovered", "Once upon a time there was", "The best way to learn a language is",
         "According to the report, the company", "When the train arrived at the station", "The recipe calls for",
         "In the first chapter of the book", "The weather forecast for tomorrow", "He opened the door and saw",
         "The main advantage of this method", "During the meeting, the director", "The museum is famous for",
         "After years of research, the team"]
evals = ["The capital of the country is", "She wrote a letter to", "The software update includes", "On the last day of summer"]
for name, rows in (("train.jsonl", train), ("eval.jsonl", evals)):
    with open(os.path.join(w, name), "w") as f:
        for p in rows: f.write(json.dumps({"prompt": p}) + "\n")
PY

run() { # name, model, extra sft fields
  local name="$1" model="$2" lora="$3" dir="$WORK/$1"
  rm -rf "$dir"
  cat > "$WORK/$name.yaml" <<YAML
model: $model
reward: {length: {target: 32, unit: tokens}}
prompts: $WORK/train.jsonl
eval_prompts: $WORK/eval.jsonl
seed: 0
threads: 0
sampling: {k: 4, temperature: 1.0, max_new_tokens: 32}
sft: {epochs: 1, lr: 1.0e-4, batch_size: 8$lora}
raft: {stages: 1, batch_prompts: 16, ranking: {mode: global, fraction: 0.25, kl_beta: 0.05}}
YAML
  echo "== $name ($(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -v -o "$OUT/$name.time.txt" "$RAFTJ" align --config "$WORK/$name.yaml" --out "$dir"
  python3 - "$dir" "$OUT/$name.time.txt" "$name" "$model" > "$OUT/$name.json" <<'PY'
import json, struct, sys, os
d, timefile, name, model = sys.argv[1:5]
sys.path.insert(0, os.path.join(os.environ["ROOT"], "benchmarks"))
from safetensors_params import params
ck = os.path.join(d, "checkpoint")
lora = os.path.exists(os.path.join(ck, "adapter_model.safetensors"))
trainable = params(os.path.join(ck, "adapter_model.safetensors" if lora else "model.safetensors"))
base = params(os.path.join(model, "model.safetensors"))
lines = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl"))]
maxrss = next(int(l.split(":")[1]) for l in open(timefile) if "Maximum resident set size" in l)
print(json.dumps({
    "run": name, "lora": lora, "base_parameters": base, "trainable_parameters": trainable,
    "trainable_fraction": trainable / base,
    "optimizer_state_bytes": os.path.getsize(os.path.join(ck, "optimizer.pt")),
    "checkpoint_bytes": sum(os.path.getsize(os.path.join(ck, f)) for f in os.listdir(ck)),
    "stage_peak_rss_mib": lines[1]["peak_rss_mib"], "process_max_rss_mib": maxrss / 1024,
    "stage_seconds": lines[1]["seconds"], "stage_time": lines[1]["time"],
    "train_loss": lines[1]["train_loss"], "kl_after": lines[1]["kl"],
    "load": open("/proc/loadavg").read().split()[:3]}, indent=1))
PY
  rm -rf "$dir/checkpoint/model.safetensors"
}

run full-124m "$M124" ""
run lora-124m "$M124" ", lora: {r: 8, alpha: 16}"
if [[ "${SKIP_1B:-0}" != 1 ]]; then
  [[ -f "$M1B/model.safetensors" ]] || "$RAFTJ" init --config benchmarks/llama-1b.json --tokenizer "$TOK" --seed 0 --out "$M1B"
  run lora-1b "$M1B" ", lora: {r: 8, alpha: 16}"
fi

python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
out = sys.argv[1]
runs = {n: json.load(open(os.path.join(out, n + ".json"))) for n in ("full-124m", "lora-124m", "lora-1b")
        if os.path.exists(os.path.join(out, n + ".json"))}
f, l = runs["full-124m"], runs["lora-124m"]
summary = {"runs": runs, "ratio_124m_lora_over_full": {
    "stage_peak_rss": l["stage_peak_rss_mib"] / f["stage_peak_rss_mib"],
    "process_max_rss": l["process_max_rss_mib"] / f["process_max_rss_mib"],
    "stage_seconds": l["stage_seconds"] / f["stage_seconds"],
    "train_seconds": l["stage_time"]["train"] / f["stage_time"]["train"],
    "optimizer_state_bytes": l["optimizer_state_bytes"] / f["optimizer_state_bytes"]}}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
print("| run | trainable params | optimizer state, MB | stage peak RSS, MiB | process max RSS, MiB | stage s | train s |")
print("|---|---|---|---|---|---|---|")
for n, r in runs.items():
    print(f"| {n} | {r['trainable_parameters']:,} ({100 * r['trainable_fraction']:.3f}%) | {r['optimizer_state_bytes'] / 1e6:.2f} "
          f"| {r['stage_peak_rss_mib']:.0f} | {r['process_max_rss_mib']:.0f} | {r['stage_seconds']:.1f} | {r['stage_time']['train']:.1f} |")
rt = summary["ratio_124m_lora_over_full"]
print(f"\n124M LoRA / full: stage peak RSS {rt['stage_peak_rss']:.3f}, process max RSS {rt['process_max_rss']:.3f}, "
      f"stage time {rt['stage_seconds']:.3f}, train time {rt['train_seconds']:.3f}, optimizer state {rt['optimizer_state_bytes']:.5f}")
PY
echo "results in $OUT"

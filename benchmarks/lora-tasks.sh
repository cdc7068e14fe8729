#!/usr/bin/env bash
# LoRA against full fine-tuning on a built-in task (arith or sentiment; RAFT, the task's preset), 3 seeds
# each: held-out reward before and after (arith: greedy accuracy; sentiment: the reward model's score),
# KL(π‖π0), run time, peak RSS, trainable parameters.
# LoRA: r 8, α 16 on every projection of the 2-layer policy (c_attn, c_proj, c_fc) with a 10×
# learning rate (5e-3; LoRA's usual practice of a larger rate), everything else as the preset.
# Writes benchmarks/results/lora-TASK.json and lora-TASK.md. Usage: bash benchmarks/lora-tasks.sh [arith|sentiment]
set -euo pipefail
TASK="${1:-arith}"
case "$TASK" in
  arith) METRIC="held-out accuracy" ;;
  sentiment) METRIC="held-out reward-model score" ;;
  *) echo "lora-tasks.sh: unknown task '$TASK' (arith, sentiment)" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
cd "$ROOT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mvn -o -q -Draftj.native.skip=true -DskipTests package
cp -r target/lib "$WORK/lib" && cp target/raftj-0.1.0-SNAPSHOT.jar "$WORK/raftj.jar"
export OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
LORA='sft.lora={r: 8, alpha: 16, target_modules: [c_attn, c_proj, c_fc]}'
for seed in 1 2 3; do
  echo "== seed $seed ($(cut -d' ' -f1-3 /proc/loadavg))"
  java -jar "$WORK/raftj.jar" align --task "$TASK" --threads 1 --set seed=$seed --out "$WORK/full-$seed" | tail -1
  java -jar "$WORK/raftj.jar" align --task "$TASK" --threads 1 --set seed=$seed --set "$LORA" --set sft.lr=5.0e-3 \
    --out "$WORK/lora-$seed" | tail -1
done
python3 - "$WORK" "$ROOT/benchmarks/results" "$(git rev-parse --short HEAD)" "$LORA" "$TASK" "$METRIC" <<'PY'
import json, os, struct, sys, statistics as st
work, out, commit, lora, task, metric = sys.argv[1:7]
sys.path.insert(0, os.path.join(os.environ["ROOT"], "benchmarks"))
from safetensors_params import params
def trainable(run):
    ck = os.path.join(run, "checkpoint")
    f = os.path.join(ck, "adapter_model.safetensors")
    return params(f if os.path.exists(f) else os.path.join(ck, "model.safetensors"))
rows = []
for mode in ("full", "lora"):
    for seed in (1, 2, 3):
        run = os.path.join(work, f"{mode}-{seed}")
        s = json.load(open(os.path.join(run, "summary.json")))
        rows.append({"mode": mode, "seed": seed, "eval_base": s["eval_reward_base"], "eval_final": s["eval_reward_final"],
                     "kl_final": s["kl_final"], "seconds": s["seconds"], "peak_rss_mib": s["peak_rss_mib"],
                     "trainable_parameters": trainable(run)})
res = {"commit": commit, "task": f"{task} (RAFT preset)", "metric": metric, "lora": lora + ", sft.lr=5.0e-3", "rows": rows,
       "load_after": open("/proc/loadavg").read().split()[:3]}
json.dump(res, open(os.path.join(out, f"lora-{task}.json"), "w"), indent=1)
lines = [f"| {task}, RAFT | trainable params | {metric}, base → final (3 seeds) | mean final | KL(π‖π0) mean | run time mean, s | peak RSS mean, MiB |",
         "|---|---|---|---|---|---|---|"]
for mode in ("full", "lora"):
    r = [x for x in rows if x["mode"] == mode]
    lines.append(f"| {'full fine-tuning (lr 5e-4)' if mode == 'full' else 'LoRA r 8, α 16, all projections (lr 5e-3)'} | "
                 f"{r[0]['trainable_parameters']:,} | {r[0]['eval_base']:.3f} → " + ", ".join(f"{x['eval_final']:.3f}" for x in r)
                 + f" | {st.mean(x['eval_final'] for x in r):.3f} | {st.mean(x['kl_final'] for x in r):.2f} | "
                 f"{st.mean(x['seconds'] for x in r):.1f} | {st.mean(x['peak_rss_mib'] for x in r):.0f} |")
open(os.path.join(out, f"lora-{task}.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

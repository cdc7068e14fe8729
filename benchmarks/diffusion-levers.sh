#!/usr/bin/env bash
# Screens the restraints of a diffusion RAFT run (issue #15: raise the reward without losing class
# accuracy) on the built-in shapes-diffusion task: one seed, few stages, each setting a --set on top
# of the task's preset. Every finished run replaces its line (by name) in
#   benchmarks/results/diffusion-levers.jsonl   name, settings, seed, stages, base/final reward, accuracy, diversity, seconds
# and the table is rebuilt from all lines:
#   benchmarks/results/diffusion-levers.md      sorted by final reward; "ok" = accuracy within 5 points of the base
# Usage: flock /work/heavy.lock bash benchmarks/diffusion-levers.sh [NAME...]   (no NAME: every setting below;
#   KEEP=DIR with runs already in it: only the new ones' lines are added, the work folder's .line files all merged)
#   SEED=1 STAGES=5 JOBS=2 (runs side by side; each uses one thread) KEEP=DIR keeps the run folders
# The committed rows: the 5-stage ones by `bash benchmarks/diffusion-levers.sh NAME...` (12 settings, 2 at a
# time), the 8-stage ones by `STAGES=8 bash benchmarks/diffusion-levers.sh tmin500 tmin500-shapes6 tmin500-shapes3
# tmin600`; wall_s is with two runs sharing the 2 cores. Settings without a row were not run.
set -euo pipefail
seed="${SEED:-1}" stages="${STAGES:-5}" jobs="${JOBS:-2}"
BUILD_JAR=0 source "$(dirname "${BASH_SOURCE[0]}")/runs-setup.sh"

# name | --set arguments (space-separated; each FIELD=VALUE, VALUE in YAML flow style without spaces)
settings='
preset          |
tmin300         | restraints={train_t_min:300}
tmin500         | restraints={train_t_min:500}
tmin700         | restraints={train_t_min:700}
tmin500-lr1e4   | restraints={train_t_min:500} sft={epochs:24,lr:1.0e-4,batch_size:16}
tmin500-k96m6   | restraints={train_t_min:500} k=96
prior-shapes6   | restraints={prior_per_class:6,prior:shapes}
prior-base6     | restraints={prior_per_class:6,prior:base}
anchor1         | restraints={anchor_beta:1.0}
anchor10        | restraints={anchor_beta:10.0}
tmin300-base6-a1 | restraints={train_t_min:300,prior_per_class:6,prior:base,anchor_beta:1.0}
tmin300-shapes6  | restraints={train_t_min:300,prior_per_class:6,prior:shapes}
tmin500-shapes6  | restraints={train_t_min:500,prior_per_class:6,prior:shapes}
tmin500-shapes3  | restraints={train_t_min:500,prior_per_class:3,prior:shapes}
tmin600          | restraints={train_t_min:600}
tmin500-shapes6-lr1e4 | restraints={train_t_min:500,prior_per_class:6,prior:shapes} sft={epochs:24,lr:1.0e-4,batch_size:16}
tmin300-shapes12-k96m6 | restraints={train_t_min:300,prior_per_class:12,prior:shapes} k=96
tmin500-shapes6-a10 | restraints={train_t_min:500,prior_per_class:6,prior:shapes,anchor_beta:10.0}
'
wanted=" $* "
./raftj --version >/dev/null 2>&1 || true   # builds the jar once
run_one() {
  local name="$1" sets="$2" dir="$work/$1"
  local args=(--task shapes-diffusion --set "seed=$seed" --stages "$stages" --out "$dir")
  for s in $sets; do args+=(--set "$(echo "$s" | sed 's/:/: /g; s/,/, /g')"); done
  local t0=$(date +%s)
  if ./raftj align "${args[@]}" >"$dir.log" 2>&1; then
    python3 - "$dir/summary.json" "$name" "$sets" "$seed" "$stages" "$(( $(date +%s) - t0 ))" >"$dir.line" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(json.dumps({"name": sys.argv[2], "settings": sys.argv[3], "seed": int(sys.argv[4]), "stages": int(sys.argv[5]),
                  "wall_s": int(sys.argv[6]), **{k: s[k] for k in s if k.startswith("eval_")}}))
PY
    echo "== $name: $(tail -1 "$dir.log")" >&2
  else
    echo "== $name FAILED:" >&2; tail -5 "$dir.log" >&2
  fi
}
while IFS='|' read -r name sets; do
  name="$(echo "$name" | xargs)"; sets="$(echo "$sets" | xargs)"
  [ -n "$name" ] || continue
  [ "$wanted" = "  " ] || [[ "$wanted" == *" $name "* ]] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 2; done
  run_one "$name" "$sets" &
done <<<"$settings"
wait
touch "$results/diffusion-levers.jsonl"
# a new line replaces the old one of the same name, seed and stage count
cat "$work"/*.line 2>/dev/null | python3 -c '
import json, sys
path = sys.argv[1]
key = lambda r: (r["name"], r["seed"], r["stages"])
rows = {key(r): r for r in map(json.loads, filter(str.strip, open(path)))}
rows.update({key(r): r for r in map(json.loads, filter(str.strip, sys.stdin))})
open(path + ".tmp", "w").write("".join(json.dumps(r) + "\n" for r in rows.values()))
' "$results/diffusion-levers.jsonl"
mv "$results/diffusion-levers.jsonl.tmp" "$results/diffusion-levers.jsonl"
python3 - "$results/diffusion-levers.jsonl" >"$results/diffusion-levers.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows.sort(key=lambda r: -r["eval_reward_final"])
print("| setting | --set | seed | stages | reward base → final | class accuracy base → final | Δ accuracy | diversity base → final | wall s | ok |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    d = r["eval_accuracy_final"] - r["eval_accuracy_base"]
    print(f"| {r['name']} | `{r['settings'] or '(preset)'}` | {r['seed']} | {r['stages']} | {r['eval_reward_base']:.3f} → {r['eval_reward_final']:.3f}"
          f" | {r['eval_accuracy_base']:.3f} → {r['eval_accuracy_final']:.3f} | {100 * d:+.1f} pt"
          f" | {r['eval_diversity_base']:.2f} → {r['eval_diversity_final']:.2f} | {r['wall_s']} | {'yes' if d >= -0.05 else 'no'} |")
print()
print("ok: class accuracy within 5 points of the base. One seed, few stages: a screen, not the result (benchmarks/diffusion.sh).")
PY
cat "$results/diffusion-levers.md"

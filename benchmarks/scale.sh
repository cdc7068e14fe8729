#!/usr/bin/env bash
# Data-parallel scaling on this machine: RAFT on the built-in arith task (its preset: 64 prompts ×
# 8 samples a stage, SFT batch 16, 2 epochs) with 1 process and with 2 processes (raftj launch),
# one LibTorch thread each, same global batch; then Gloo all-reduce of float32 buckets between 2
# processes on 127.0.0.1 (the gradient traffic of larger models). Writes
#   benchmarks/results/scale-DATE.json   per run: stage seconds, samples/s, phase split, communication share;
#                                        the all-reduce table
#   benchmarks/results/scale-DATE.md     the same as tables (scale-ALGORITHM-DATE.* for ALGORITHM other than raft)
# Usage: flock /work/heavy.lock bash benchmarks/scale.sh   (STAGES=5 by default)
#        ALGORITHM=grpo flock /work/heavy.lock bash benchmarks/scale.sh
#          GRPO instead of RAFT (its defaults on arith: 64 prompts x 8 samples, here 4 minibatches, so
#          4 gradient all-reduces a stage); writes scale-grpo-DATE.{json,md}, without the all-reduce table
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stages="${STAGES:-5}"
algorithm="${ALGORITHM:-raft}"
day="$(date -u +%Y-%m-%d)"
if [ "$algorithm" = raft ]; then name="scale-$day"; extra=(); else name="scale-$algorithm-$day"; extra=(--algorithm "$algorithm" --set "$algorithm.minibatches=4"); fi
work="$(mktemp -d /tmp/raftj-scale.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mvn -o -q -B compile -Draftj.native.skip=true
# A copy of the classes: a rebuild of the checkout during the runs must not change them.
cp -r target/classes "$work/classes"
mvn -o -q -B dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/deps.cp" >/dev/null
cp="$work/classes:$(cat "$work/deps.cp")"
mkdir -p "$work/bench" && javac --release 17 -nowarn -d "$work/bench" -cp "$cp" benchmarks/scale/AllReduceBench.java
export OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
port=$((29700 + RANDOM % 200))

echo "scale.sh: 1 process" >&2
java -cp "$cp" dev.raftj.cli.Main align --task arith "${extra[@]}" --stages "$stages" --threads 1 --out "$work/p1" > "$work/p1.log"
echo "scale.sh: 2 processes" >&2
java -cp "$cp" dev.raftj.cli.Main launch --nproc-per-node 2 --master-port "$port" align --task arith "${extra[@]}" \
    --stages "$stages" --threads 1 --out "$work/p2" > "$work/p2.log" 2> "$work/p2.err" \
    || { tail -20 "$work/p2.log" "$work/p2.err" >&2; exit 1; }

if [ "$algorithm" = raft ]; then
  echo "scale.sh: all-reduce" >&2
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$((port + 1)) \
        java -cp "$cp:$work/bench" AllReduceBench 1 4 25 100 > "$work/ar$r.log" 2> "$work/ar$r.err" &
  done
  wait
else
  : > "$work/ar0.log"
fi

python3 - "$work" "$day" "$stages" "$name" "${extra[*]:-}" <<'PY'
import json, sys, os, platform
work, day, stages, name, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def run(name, procs):
    lines = [json.loads(l) for l in open(os.path.join(work, name, "metrics.jsonl"))]
    st = [l for l in lines if l["stage"] > 0]
    sec = sum(l["seconds"] for l in st)
    samples = sum(round(l["samples_per_second"] * l["seconds"]) for l in st)
    phases = {}
    for l in st:
        for k, v in l["time"].items(): phases[k] = phases.get(k, 0) + v
    comm = phases.get("communication", 0.0)
    return {"processes": procs, "stages": len(st), "stage_seconds_mean": sec / len(st),
            "samples_per_second": samples / sec, "samples_per_stage": samples / len(st),
            "phase_seconds_per_stage": {k: v / len(st) for k, v in phases.items()},
            "communication_share": comm / sec,
            "eval_reward_base": lines[0]["eval_reward"], "eval_reward_final": st[-1]["eval_reward"]}
r1, r2 = run("p1", 1), run("p2", 2)
ar = [json.loads(l) for l in open(os.path.join(work, "ar0.log")) if l.startswith("{")]
out = {"date": day, "machine": f"{os.cpu_count()} cores, {platform.machine()}; shared with other jobs, so times are upper bounds",
       "workload": f"raftj align --task arith {extra + ' ' if extra else ''}--stages {stages} --threads 1 (64 prompts x 8 samples a stage)",
       "runs": [r1, r2], "speedup": r1["stage_seconds_mean"] / r2["stage_seconds_mean"],
       "allreduce_2proc_loopback": ar}
json.dump(out, open(f"benchmarks/results/{name}.json", "w"), indent=2)
with open(f"benchmarks/results/{name}.md", "w") as f:
    f.write(f"# Data-parallel scaling, {day}\n\n{out['workload']}; {out['machine']}.\n\n")
    f.write("| processes | stage s | samples/s | generate s | train s | eval s | gather s | communication s | comm share | eval reward base → final |\n|---|---|---|---|---|---|---|---|---|---|\n")
    for r in (r1, r2):
        p = r["phase_seconds_per_stage"]
        f.write(f"| {r['processes']} | {r['stage_seconds_mean']:.3f} | {r['samples_per_second']:.0f} | {p.get('generate',0):.3f} | "
                f"{p.get('train',0):.3f} | {p.get('eval',0):.3f} | {p.get('gather',0):.3f} | {p.get('communication',0):.3f} | "
                f"{r['communication_share']:.1%} | {r['eval_reward_base']:.3f} → {r['eval_reward_final']:.3f} |\n")
    f.write(f"\nSpeed-up of the stage time with 2 processes: {out['speedup']:.2f}×.\n\n")
    if ar:
        f.write("Gloo all-reduce, 2 processes, 127.0.0.1 (float32 buckets):\n\n| MiB | seconds | algbw GB/s | busbw GB/s |\n|---|---|---|---|\n")
        for a in ar:
            f.write(f"| {a['bytes']/2**20:.0f} | {a['seconds']:.4f} | {a['algbw_gb_s']:.2f} | {a['busbw_gb_s']:.2f} |\n")
print(open(f"benchmarks/results/{name}.md").read())
PY

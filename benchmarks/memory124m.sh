#!/usr/bin/env bash
# Peak memory of one real 124M RAFT stage, lever by lever (issue 8): each git ref in REFS is exported
# (git archive, nothing installed), built without the CUDA kernels, and run through
# benchmarks/iteration124m.sh with ALGOS=raft (`raftj align`, one stage: 16 prompts × 4 samples ×
# 32 tokens, best of 4 kept, 2 epochs of SFT in steps of 8, no KL ranking, no held-out set;
# peak RSS from /usr/bin/time -v). Then StageMemory (a hand-built stage that does load and read π0:
# reference and policy log-probs, then 2 SFT steps) on the first and last ref, with PeakSampler's
# peak per phase. Then the last ref again under glibc malloc settings (ENV_VARIANTS).
# Writes benchmarks/results/memory124m-DATE/:
#   ladder.md                    one row per ref: peak RSS, anon + file at the peak, stage time
#   iteration-REF.json/.md       IterationReport of each ref's run;  time-REF.txt: /usr/bin/time -v
#   stage-first.json/.txt stage-last.json/.txt   StageMemory (time, RSS per part, peak per phase)
#   env-NAME.json/.md            the last ref with a malloc setting
# Usage: flock /work/heavy.lock bash benchmarks/memory124m.sh        (~15 min on 2 idle cores)
# Environment:
#   REFS="a b c"       refs in order (default: main before this work, then the lever commits, HEAD)
#   ENV_VARIANTS="name:VAR=V,VAR2=V2 ..."   (default: glibc trim/mmap settings); "" for none
#   MODEL124M=DIR      the checkpoint (default /tmp/raftj-gpt2-small-seed0, made by iteration124m.sh)
#   STAGE_MEMORY="first last"   which trees StageMemory runs on; "" for none
#   OUT_DIR=DIR        where results go (default benchmarks/results/memory124m-DATE)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REFS="${REFS:-fe347b1 86c55f8 47a3e1a HEAD}"
ENV_VARIANTS="${ENV_VARIANTS-trim0:MALLOC_TRIM_THRESHOLD_=0 mmap1m:MALLOC_MMAP_THRESHOLD_=1048576 both:MALLOC_TRIM_THRESHOLD_=0,MALLOC_MMAP_THRESHOLD_=1048576}"
MODEL="${MODEL124M:-/tmp/raftj-gpt2-small-seed0}"
OUT="${OUT_DIR:-${RESULTS_DIR:-$ROOT/benchmarks/results}/memory124m-$(date +%F)}"
STAGE_MEMORY="${STAGE_MEMORY-first last}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

tree() { # ref -> an exported, built source tree (prints its path)
  local ref="$1" sha dir
  sha="$(git rev-parse --short "$ref")"
  dir="$WORK/tree-$sha"
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$dir"
    git archive "$sha" | tar -x -C "$dir"
    # iteration124m.sh stamps its report with the tree's commit: give the export one of its own
    (cd "$dir" && git init -q && git add -A >/dev/null && git -c user.email=bench@raftj -c user.name=bench commit -qm "$sha")
    (cd "$dir" && mvn -o -q -B package -DskipTests -Draftj.native.skip=true >&2)
  fi
  echo "$dir"
}

stage() { # name, dir, [env...]: one real RAFT stage through raftj align; copies the report
  local name="$1" dir="$2"; shift 2
  (cd "$dir" && env "$@" MODEL124M="$MODEL" ALGOS=raft KEEP="$WORK/run-$name" RESULTS_DIR="$WORK/res-$name" \
    bash benchmarks/iteration124m.sh >"$WORK/log-$name.txt" 2>&1) || { tail -20 "$WORK/log-$name.txt" >&2; exit 1; }
  cp "$WORK/res-$name"/iteration124m-*.json "$OUT/$name.json"
  cp "$WORK/res-$name"/iteration124m-*.md "$OUT/$name.md"
  cp "$WORK/run-$name/raft.time" "$OUT/time-$name.txt"
  local row
  row="$(sed -n 3p "$OUT/$name.md")"
  echo "| $name | $(echo "$row" | cut -d'|' -f3) | $(echo "$row" | cut -d'|' -f5) | $(echo "$row" | cut -d'|' -f7) | $(echo "$row" | cut -d'|' -f8) | $(echo "$row" | cut -d'|' -f11) | $(echo "$row" | cut -d'|' -f13) |" >>"$OUT/ladder.md"
}

{
  echo "raftj memory124m $(date -Is), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| run | peak RSS, MiB | anon + file at peak, MiB | iteration, s | generation, s | training, s | models loaded |"
  echo "|---|---|---|---|---|---|---|"
} >"$OUT/ladder.md"
first="" last=""
for ref in $REFS; do
  sha="$(git rev-parse --short "$ref")"
  dir="$(tree "$ref")"
  [[ -z "$first" ]] && first="$dir"
  last="$dir"
  echo "== $ref ($sha): one RAFT stage ($(bash benchmarks/quiet.sh || true))" >&2
  stage "iteration-$sha" "$dir" X=1
done
for v in $ENV_VARIANTS; do
  name="${v%%:*}"
  IFS=',' read -r -a vars <<<"${v#*:}"
  echo "== HEAD with ${vars[*]} ($(bash benchmarks/quiet.sh || true))" >&2
  stage "env-$name" "$last" "${vars[@]}"
done
# StageMemory: the same benchmark sources (this checkout's) against the first and the last tree
for which in $STAGE_MEMORY; do
  dir="$first"; [[ "$which" == last ]] && dir="$last"
  cp="$(BENCH_SRC="$ROOT/benchmarks/src/main/java" BENCH_OUT="$WORK/bench-$which" bash benchmarks/classpath.sh "$dir")"
  echo "== StageMemory, $which ref ($(bash benchmarks/quiet.sh || true))" >&2
  /usr/bin/time -v -o "$WORK/stage-$which.time" java -Draftj.model124m="$MODEL" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
    -cp "$cp" dev.raftj.bench.StageMemory --json "$OUT/stage-$which.json" 2>&1 | grep -v '^INFO\|KernelChoice' >"$OUT/stage-$which.txt"
  grep 'Maximum resident' "$WORK/stage-$which.time" >>"$OUT/stage-$which.txt"
done
echo "refs: $REFS (first = $(basename "$first"), last = $(basename "$last"))" >>"$OUT/ladder.md"
cat "$OUT/ladder.md"

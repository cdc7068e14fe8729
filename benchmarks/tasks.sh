#!/usr/bin/env bash
# Reruns every alignment result the README shows and writes benchmarks/results/tasks.json:
# one row per command with its summary.json (base/final held-out reward, KL, time by phase) and
# the wall time of the whole command (JVM start included). Usage: bash benchmarks/tasks.sh
# Each run writes to a fresh folder under $TMPDIR; the machine's details go in the file too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/benchmarks/results/tasks.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rows=(
  "arith-raft|align"
  "arith-rest|align --algorithm rest"
  "arith-rest-em|align --algorithm rest-em"
  "sentiment-raft|align --task sentiment"
  "sentiment-rest|align --task sentiment --algorithm rest"
)
./raftj --version >/dev/null 2>&1 || true   # builds the jar once, outside the timings
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
out="["
sep=""
for row in "${rows[@]}"; do
  name="${row%%|*}"; args="${row#*|}"
  echo "== $name: ./raftj $args" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  ./raftj $args --out "$work/$name" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  tail -1 "$work/$name.log" >&2
  out+="$sep{\"name\": \"$name\", \"command\": \"./raftj $args\", \"wall_seconds\": $wall, \"summary\": $(cat "$work/$name/summary.json")}"
  sep=","
done
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
printf '{"date": "%s", "commit": "%s", "cpu": "%s", "cores": %s, "load_before": "%s", "load_after": "%s", "rows": %s]}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git rev-parse --short HEAD)" "$cpu" "$(nproc)" "$load_before" "$load" "$out" >"$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results" >&2

#!/usr/bin/env bash
# Waits (at most ${QUIET_MAX_WAIT:-600} s) until the CPUs have been at least ${QUIET_IDLE:-90}% idle over
# ${QUIET_WINDOW:-5} s, then prints "idle PCT% load L1 L5 L15" and returns 0; returns 1 (and prints the
# same) when the machine never went quiet. Other sessions share these cores: a number measured
# while they run says little, so callers record what this prints next to their results.
set -uo pipefail
max="${QUIET_MAX_WAIT:-600}"; want="${QUIET_IDLE:-90}"; win="${QUIET_WINDOW:-5}"
start=$(date +%s)
while :; do
  read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
  sleep "$win"
  read -r _ a b c d e f g h _ < /proc/stat; t2=$((a+b+c+d+e+f+g+h)); i2=$((d+e))
  idle=$(( (i2-i1)*100 / ((t2-t1) > 0 ? (t2-t1) : 1) ))
  if (( idle >= want )); then echo "idle ${idle}% load $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; fi
  if (( $(date +%s) - start >= max )); then echo "idle ${idle}% load $(cut -d' ' -f1-3 /proc/loadavg) (never quiet)"; exit 1; fi
done

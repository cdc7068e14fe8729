# Sourced by the scripts that compare whole `raftj align` runs (compare.sh, rlgaf.sh, diffusion.sh,
# diffusion-levers.sh): goes to the repo root and sets
#   root      the repo root
#   work      where the runs go: KEEP=DIR keeps them, otherwise a temp folder removed on exit
#   results   benchmarks/results
# With BUILD_JAR=1 (the default) it also builds the jar once, outside the timings, and records
# load_before (the load average before the runs).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="${KEEP:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
results="$root/benchmarks/results"
mkdir -p "$results"
if [ "${BUILD_JAR:-1}" = 1 ]; then
  ./raftj --version >/dev/null 2>&1 || true
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
fi

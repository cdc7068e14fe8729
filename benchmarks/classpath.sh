#!/usr/bin/env bash
# Builds raftj and the JMH benchmarks of one source tree WITHOUT installing anything into ~/.m2
# (other checkouts on this machine share it) and prints a classpath to run them with:
#   java -cp "$(bash benchmarks/classpath.sh DIR)" org.openjdk.jmh.Main REGEX ...
# DIR: a raftj source tree (default: this checkout). With BASELINE_REF=<git ref> and no DIR,
# the ref is exported (git archive) into ${BASELINE_DIR:-/tmp/raftj-baseline-REF} and built there,
# so "before" and "after" can be measured side by side in one run.
# Needs in ~/.m2: the root's dependencies, jmh-core and jmh-generator-annprocess 1.37 (a first
# `mvn -f benchmarks/pom.xml dependency:go-offline` fetches them; no install of raftj needed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${1:-}"
if [[ -z "$SRC" ]]; then
  if [[ -n "${BASELINE_REF:-}" ]]; then
    SRC="${BASELINE_DIR:-/tmp/raftj-baseline-$(git -C "$ROOT" rev-parse --short "$BASELINE_REF")}"
    if [[ ! -f "$SRC/pom.xml" ]]; then
      mkdir -p "$SRC"
      git -C "$ROOT" archive "$BASELINE_REF" | tar -x -C "$SRC"
    fi
  else
    SRC="$ROOT"
  fi
fi
SRC="$(cd "$SRC" && pwd)"
M2="${M2_REPO:-$HOME/.m2/repository}"
JMH="$M2/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar:$M2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar:$M2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
AP="$M2/org/openjdk/jmh/jmh-generator-annprocess/1.37/jmh-generator-annprocess-1.37.jar:$JMH"
for j in ${JMH//:/ } ${AP%%:*}; do
  [[ -f "$j" ]] || { echo "classpath.sh: $j missing (run: mvn -f benchmarks/pom.xml dependency:go-offline once)" >&2; exit 2; }
done
(cd "$SRC" && mvn -o -q -B compile -Draftj.native.skip=true >&2)
if [[ ! -f "$SRC/target/deps.cp" || "$SRC/pom.xml" -nt "$SRC/target/deps.cp" ]]; then
  (cd "$SRC" && mvn -o -q -B dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$SRC/target/deps.cp" >&2)
fi
# raftj's CPU kernels where the tree has them (Maven's native step, skipped above with CUDA)
if [[ -f "$SRC/cmake/build-cpu.sh" ]]; then
  bash "$SRC/cmake/build-cpu.sh" "$SRC" "$SRC/target" "$SRC/target/classes:$(cat "$SRC/target/deps.cp")" >&2
fi
OUT="${BENCH_OUT:-$SRC/target/bench-classes}"
rm -rf "$OUT" && mkdir -p "$OUT"
# SRC's own benchmarks by default; BENCH_SRC="DIR..." compiles other benchmark sources against SRC
# (benchmarks/test.sh adds the tests, with BENCH_OUT and BENCH_EXTRA_CP).
BENCH_SRC="${BENCH_SRC:-$SRC/benchmarks/src/main/java}"
# shellcheck disable=SC2086
javac --release 17 -nowarn -d "$OUT" -cp "$SRC/target/classes:$(cat "$SRC/target/deps.cp"):$JMH${BENCH_EXTRA_CP:+:$BENCH_EXTRA_CP}" \
  -processorpath "$AP" $(find $BENCH_SRC -name '*.java') >&2
echo "$OUT:$SRC/target/classes:$(cat "$SRC/target/deps.cp"):$JMH"

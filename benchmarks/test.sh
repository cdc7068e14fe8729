#!/usr/bin/env bash
# Unit tests of the benchmark tools (the pure functions behind IterationReport, IterationPhases,
# HostShare), without installing raftj: compiles benchmarks/src/{main,test}/java against this
# checkout into target/bench-test-classes and runs them with the JUnit 5 launcher.
# Usage: bash benchmarks/test.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M2="${M2_REPO:-$HOME/.m2/repository}"
LAUNCHER="$M2/org/junit/platform/junit-platform-launcher/1.14.4/junit-platform-launcher-1.14.4.jar"
[[ -f "$LAUNCHER" ]] || { echo "test.sh: $LAUNCHER missing (a root 'mvn test' fetches it)" >&2; exit 2; }
CP="$(BENCH_OUT="$ROOT/target/bench-test-classes" BENCH_SRC="$ROOT/benchmarks/src/main/java $ROOT/benchmarks/src/test/java" \
  BENCH_EXTRA_CP="$LAUNCHER" bash "$ROOT/benchmarks/classpath.sh")"
java -cp "$CP:$LAUNCHER" dev.raftj.bench.RunTests

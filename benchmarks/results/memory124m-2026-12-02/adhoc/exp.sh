#!/bin/bash
# variants of the final build on the real 124M RAFT stage: JVM heap and glibc malloc settings
set -e
d=/tmp/perf8/tree-final
(cd $d && mvn -o -q -B package -DskipTests -Draftj.native.skip=true >/tmp/perf8/build-final.log 2>&1)
run() { # name, then env assignments
  local name=$1; shift
  (cd $d && env "$@" ALGOS=raft KEEP=/tmp/perf8/exp-$name RESULTS_DIR=/tmp/perf8/res-exp-$name bash benchmarks/iteration124m.sh > /tmp/perf8/exp-$name.log 2>&1)
  echo "$name ($*): $(grep 'Maximum resident' /tmp/perf8/exp-$name/raft.time) $(sed -n 3p /tmp/perf8/res-exp-$name/*.md)"
}
run default X=1
run serialgc RAFTJ_JAVA_OPTS=-XX:+UseSerialGC
run xmx1g RAFTJ_JAVA_OPTS=-Xmx1g
run arena2 MALLOC_ARENA_MAX=2
run mmap4m MALLOC_MMAP_THRESHOLD_=4194304
run trim0 MALLOC_TRIM_THRESHOLD_=0 MALLOC_MMAP_THRESHOLD_=1048576

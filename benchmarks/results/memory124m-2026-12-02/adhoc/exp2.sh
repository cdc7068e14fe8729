#!/bin/bash
set -e
d=/tmp/perf8/tree-final
(cd $d && mvn -o -q -B package -DskipTests -Draftj.native.skip=true >/tmp/perf8/build-final2.log 2>&1)
run() { local name=$1; shift
  (cd $d && env "$@" ALGOS=raft KEEP=/tmp/perf8/exp-$name RESULTS_DIR=/tmp/perf8/res-exp-$name bash benchmarks/iteration124m.sh > /tmp/perf8/exp-$name.log 2>&1)
  echo "$name ($*): $(grep 'Maximum resident' /tmp/perf8/exp-$name/raft.time) $(sed -n 3p /tmp/perf8/res-exp-$name/*.md)"
}
run mtrim X=1
run mtrim-trim0 MALLOC_TRIM_THRESHOLD_=0
run mtrim-mmap1m MALLOC_MMAP_THRESHOLD_=1048576
run mtrim-both MALLOC_TRIM_THRESHOLD_=0 MALLOC_MMAP_THRESHOLD_=1048576

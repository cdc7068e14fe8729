#!/usr/bin/env bash
# emulate.sh: builds kernel_check against the kernels compiled for CPU threads (cuda_emu.h) and
# runs its correctness checks, for machines with no GPU. Slow (one OS thread per CUDA thread) and
# not a performance model; the real check is benchmarks/gpu/run.sh on a GPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${EMU_DIR:-/tmp/raftj-emu}
mkdir -p "$out"
g++ -std=c++20 -O2 -x c++ -DRAFTJ_EMULATE -include "$root/benchmarks/gpu/cuda_emu.h" -I"$root/src/main/native" \
  -Wno-unused-result -pthread -o "$out/kernel_check_emu" \
  "$root/benchmarks/gpu/kernel_check.cu" "$root/src/main/native/runtime.cu" "$root/src/main/native/sampling.cu" \
  "$root/src/main/native/topk.cu" "$root/src/main/native/reward_head.cu"
"$out/kernel_check_emu" --no-bench "$@"

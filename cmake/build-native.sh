#!/usr/bin/env bash
# build-native.sh: builds raftj's CPU kernels first (build-cpu.sh, wherever a C++ compiler is
# found), then its CUDA kernels (libraftj_kernels.so, static CUDA runtime) and, when the Java
# classes are compiled, their JavaCPP JNI glue next to NativeKernels.class, so the jar carries
# both. Where nvcc is not found it says so and succeeds: the CUDA path is then absent.
#
#   cmake/build-native.sh [basedir] [target dir] [Java classpath holding javacpp.jar]
#
# Maven runs it in process-classes (the exec-maven-plugin execution "raftj-native" in pom.xml). Environment:
#   RAFTJ_SKIP_NATIVE=1      skip everything (a machine with nvcc that wants no CUDA build)
#   RAFTJ_CUDA_GENCODE="..." replace the -gencode list (default: sm_80, sm_90a, compute_90 PTX)
#   RAFTJ_NATIVE_JOBS=N      parallel compile jobs (default 2)
set -euo pipefail

base=$(cd "${1:-$(dirname "$0")/..}" && pwd)
target=${2:-$base/target}
classpath=${3:-}

if [[ "${RAFTJ_SKIP_NATIVE:-0}" == 1 ]]; then
  echo "raftj: RAFTJ_SKIP_NATIVE=1, CPU and CUDA kernels skipped"
  exit 0
fi
bash "$(dirname "$0")/build-cpu.sh" "$base" "$target" "$classpath"
nvcc=$(command -v nvcc || true)
if [[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]]; then nvcc=/usr/local/cuda/bin/nvcc; fi
if [[ -z "$nvcc" ]]; then
  echo "raftj: nvcc not found, CUDA kernels skipped"
  exit 0
fi

src=$base/src/main/native
native=$target/native
lib=$native/lib
jobs=${RAFTJ_NATIVE_JOBS:-2}
mkdir -p "$lib"
start=$(date +%s)

if command -v cmake >/dev/null 2>&1; then
  args=(-S "$src" -B "$native/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc" -DRAFTJ_OUT="$lib")
  if [[ -n "${RAFTJ_CUDA_GENCODE:-}" ]]; then
    args+=("-DRAFTJ_CUDA_GENCODE=${RAFTJ_CUDA_GENCODE// /;}")
  fi
  if ! cmake "${args[@]}" >"$native/cmake-configure.log" 2>&1; then
    cat "$native/cmake-configure.log"
    echo "raftj: CMake configure failed (log above); RAFTJ_SKIP_NATIVE=1 builds without CUDA" >&2
    exit 1
  fi
  cmake --build "$native/build" -j "$jobs"
else
  # No CMake: the same build as one nvcc command.
  gencode=${RAFTJ_CUDA_GENCODE:-"-gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90a,code=sm_90a -gencode=arch=compute_90,code=compute_90"}
  so=$lib/libraftj_kernels.so
  newest=$(ls -t "$src"/*.cu "$src"/*.cuh "$src"/*.h | head -1)
  if [[ ! -f "$so" || "$so" -ot "$newest" ]]; then
    echo "raftj: cmake not found, building with nvcc directly"
    # shellcheck disable=SC2086
    "$nvcc" -O3 -std=c++17 --expt-relaxed-constexpr $gencode -DRAFTJ_BUILDING=1 -Xcompiler -fPIC,-fvisibility=hidden \
      --cudart static -shared -Xlinker --exclude-libs,ALL -o "$so" \
      "$src/runtime.cu" "$src/sampling.cu" "$src/topk.cu" "$src/reward_head.cu" -lpthread -ldl -lrt
  fi
fi
echo "raftj: libraftj_kernels.so ready in $(( $(date +%s) - start )) s ($lib)"

# JavaCPP JNI glue, when NativeKernels is compiled and JavaCPP is on the given classpath.
source "$(dirname "$0")/jni-glue.sh"
jni_glue NativeKernels "$src" "$lib" "$lib/libraftj_kernels.so" "$target" "$classpath" || [[ $? == 2 ]]

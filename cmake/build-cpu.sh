#!/usr/bin/env bash
# build-cpu.sh: builds raftj's hand-written CPU kernels (libraftj_cpu.so from src/main/native/cpu)
# and, when the Java classes are compiled, CpuKernels' JavaCPP JNI glue next to CpuKernels.class,
# wherever a C++ compiler is found. Without one it says so and succeeds: raftj then uses LibTorch
# ops for the same work. Writes target/native/cpu-kernels.status ("built" or why not), which the
# tests read to know whether the kernels must be there.
#
#   cmake/build-cpu.sh [basedir] [target dir] [Java classpath holding javacpp.jar]
#
# build-native.sh runs it first (Maven's process-classes). Environment: CXX (default c++).
set -euo pipefail

base=$(cd "${1:-$(dirname "$0")/..}" && pwd)
target=${2:-$base/target}
classpath=${3:-}
src=$base/src/main/native/cpu
lib=$target/native/lib
status=$target/native/cpu-kernels.status
mkdir -p "$lib"

cxx=${CXX:-$(command -v c++ || command -v g++ || true)}
if [[ -z "$cxx" ]]; then
  echo "raftj: no C++ compiler found, CPU kernels skipped (LibTorch ops are used instead)"
  echo "skipped: no C++ compiler" >"$status"
  exit 0
fi

so=$lib/libraftj_cpu.so
newest=$(ls -t "$src"/*.cpp "$src"/*.h | head -1)
if [[ ! -f "$so" || "$so" -ot "$newest" || "$so" -ot "$0" ]]; then
  # -fno-trapping-math lets the softmax's clamp vectorize; the kernels' own summation order is
  # fixed in the source, so no reassociating flag (-ffast-math) is used.
  "$cxx" -O3 -std=c++17 -fno-trapping-math -fPIC -fvisibility=hidden -DRAFTJ_BUILDING=1 -shared \
    -o "$so" "$src"/*.cpp
  echo "raftj: libraftj_cpu.so built ($lib)"
fi

source "$(dirname "$0")/jni-glue.sh"
if jni_glue CpuKernels "$src" "$lib" "$so" "$target" "$classpath"; then
  echo "built" >"$status"
else
  rc=$?
  [[ $rc == 2 ]] || exit "$rc"
  echo "skipped: no JNI glue" >"$status"
fi

#!/usr/bin/env bash
# run.sh: everything GPU-side for raftj's kernels in one call on a lent GPU machine (CUDA 13,
# PyTorch 2.11 in its python3, no Java, nothing to install). From the repository root:
#
#   bash benchmarks/gpu/run.sh          (with .dev/gpu carried, from benchmarks/gpu/prepare.sh)
#
# 1. builds kernel_check (the kernels + a plain C++ reference, no LibTorch) with nvcc for this GPU;
# 2. runs its checks (exact top-k and greedy, sampling token-for-token against a CPU replica and by
#    TV distance over 10^6 draws, reward head tolerances, outputs poisoned) and its timings;
# 3. times the LibTorch baselines with this machine's PyTorch (torch_baseline.py);
# 4. if a Java bundle was carried: checks whether the PyTorch 2.10 JNI (JavaCPP presets) links
#    against this machine's torch 2.11 libraries, runs the JUnit GPU tests kernels-only, then with
#    LibTorch from python's torch/lib; if that works, runs `raftj align --task arith --device cuda`
#    end to end with the CUDA kernels and again with LibTorch's ops (-Draftj.kernels=torch);
# 5. prints the ratio table last. Logs and JSON go to $OUT (or .dev/gpu-out).
# Env: RAFTJ_QUICK=1 (fewer checks/sizes), RAFTJ_SANITIZE=1 (compute-sanitizer memcheck pass),
#      RAFTJ_SKIP_JAVA=1, RAFTJ_SKIP_TORCH=1.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-$root/.dev/gpu-out}
work=${RAFTJ_WORK:-/tmp/raftj-gpu}
mkdir -p "$out" "$work"
step() { echo; echo "=== $*"; }
t_start=$(date +%s)

step "machine"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader || true
nvcc --version | tail -1
python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)' || true
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
case "$cc" in
  90) gencode="-gencode=arch=compute_90a,code=sm_90a" ;;
  "") gencode="-gencode=arch=compute_90a,code=sm_90a" ;;
  *) gencode="-gencode=arch=compute_${cc},code=sm_${cc}" ;;
esac

step "build kernel_check ($gencode)"
t0=$(date +%s)
if ! nvcc -O3 -std=c++17 --expt-relaxed-constexpr $gencode -Xptxas -v -Isrc/main/native \
    benchmarks/gpu/kernel_check.cu src/main/native/runtime.cu src/main/native/sampling.cu \
    src/main/native/topk.cu src/main/native/reward_head.cu -o "$work/kernel_check" 2>"$out/ptxas.log"; then
  cat "$out/ptxas.log"
  echo "kernel_check did not build"
  exit 1
fi
echo "built in $(( $(date +%s) - t0 )) s; registers / spills per kernel:"
grep -E "Compiling entry|registers|spill" "$out/ptxas.log" | sed -E 's/.*entry function .(_Z[0-9]+)?//' | paste - - - | \
  sed -E 's/ptxas info *: //g' | cut -c1-220 || true

step "kernel_check"
args=()
[[ "${RAFTJ_QUICK:-0}" == 1 ]] && args+=(--quick)
"$work/kernel_check" ${args[@]+"${args[@]}"} --json "$out/kernel_check.json" 2>&1 | tee "$out/kernel_check.log"
kc_rc=${PIPESTATUS[0]}

if [[ "${RAFTJ_SANITIZE:-0}" == 1 ]] && command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck (checks only)"
  compute-sanitizer --tool memcheck --print-limit 20 "$work/kernel_check" --quick --no-bench 2>&1 | tail -25
fi

if [[ "${RAFTJ_SKIP_TORCH:-0}" != 1 ]]; then
  step "LibTorch baselines (this machine's PyTorch)"
  PYTHONUNBUFFERED=1 python3 benchmarks/gpu/torch_baseline.py --out "$out" 2>&1 | tee "$out/torch_baseline.log" | tail -5
fi

bundle=$root/.dev/gpu/bundle.tgz
if [[ "${RAFTJ_SKIP_JAVA:-0}" != 1 && -f "$bundle" ]]; then
  step "Java: unpack the carried bundle"
  jdir=$work/java
  rm -rf "$jdir" && mkdir -p "$jdir" && tar xzf "$bundle" -C "$jdir"
  java=$jdir/jre/bin/java
  cp_jars=$(ls "$jdir"/lib/*.jar | tr '\n' ':')
  "$java" -version 2>&1 | head -1
  torchlib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  echo "torch/lib: $torchlib"

  step "Java: does the PyTorch 2.10 JNI link against torch 2.11? (ldd -r)"
  LD_LIBRARY_PATH=$torchlib ldd -r "$jdir/native/libjnitorch.so" >"$out/jnitorch-ldd.log" 2>&1
  undef=$(grep -c "undefined symbol" "$out/jnitorch-ldd.log" || true)
  missing=$(grep -c "not found" "$out/jnitorch-ldd.log" || true)
  echo "libjnitorch.so (2.10) against $torchlib: $undef undefined symbols, $missing missing libraries"
  grep -E "undefined symbol|not found" "$out/jnitorch-ldd.log" | head -5 | c++filt | cut -c1-200

  step "Java: GPU tests, kernels only (no LibTorch)"
  "$java" -Xss4m -cp "$cp_jars" GpuTestMain dev.raftj.kernels.CudaKernelsGpuTest 2>&1 | tee "$out/java-kernels.log" | tail -30

  step "Java: GPU tests with LibTorch from python's torch/lib"
  kdir=$jdir/native
  pre=$kdir/libjnijavacpp.so
  for l in libc10.so libtorch_cpu.so libc10_cuda.so libtorch_cuda.so libtorch.so; do
    [[ -f "$torchlib/$l" ]] && pre=$pre:$torchlib/$l
  done
  pre=$pre:$kdir/libjnitorch.so:$kdir/libraftj_kernels.so:$kdir/libjniNativeKernels.so
  # LD_BIND_NOW turns a missing symbol into a load error instead of a crash at first call.
  LD_BIND_NOW=1 "$java" -Xss4m -Dorg.bytedeco.javacpp.loadLibraries=false -Draftj.preload="$pre" -cp "$cp_jars" \
    GpuTestMain --probe-torch dev.raftj.kernels.CudaKernelsGpuTest 2>&1 | tee "$out/java-torch.log" | tail -30
  echo "java (torch mode) exit status: ${PIPESTATUS[0]}"

  if grep -q "cuda_is_available=true" "$out/java-torch.log" && grep -q "TORCH PROBE OK" "$out/java-torch.log"; then
    # The product end to end: RAFT on the built-in arith task with every model on the GPU; first with
    # the CUDA kernels, then with LibTorch's ops in their place (same run, same seed).
    for k in cuda torch; do
      step "Java: end to end, raftj align --task arith --device cuda, kernels: $k"
      rm -rf "$work/e2e-$k"
      LD_BIND_NOW=1 "$java" -Xss4m -Dorg.bytedeco.javacpp.loadLibraries=false -Draftj.preload="$pre" -Draftj.kernels=$k \
        -cp "$cp_jars" GpuTestMain --run dev.raftj.cli.Main align --task arith --device cuda --out "$work/e2e-$k" \
        >"$out/e2e-$k.log" 2>&1
      echo "exit status: $?"
      grep -E "kernels for|^\[|done:|error" "$out/e2e-$k.log" | tail -5
      [[ -f "$work/e2e-$k/summary.json" ]] && cp "$work/e2e-$k/summary.json" "$out/e2e-$k-summary.json"
      [[ -f "$work/e2e-$k/metrics.jsonl" ]] && cp "$work/e2e-$k/metrics.jsonl" "$out/e2e-$k-metrics.jsonl"
    done
  else
    step "Java: end to end skipped (LibTorch from python did not load, or it sees no CUDA device)"
  fi
elif [[ "${RAFTJ_SKIP_JAVA:-0}" != 1 ]]; then
  step "Java: no .dev/gpu/bundle.tgz carried (run benchmarks/gpu/prepare.sh and carry .dev/gpu)"
fi

step "report"
if [[ -f "$out/kernel_check.json" ]]; then
  python3 benchmarks/gpu/torch_baseline.py --report "$out"
fi
echo
echo "kernel_check exit status: $kc_rc; total $(( $(date +%s) - t_start )) s; logs in $out"
exit "$kc_rc"

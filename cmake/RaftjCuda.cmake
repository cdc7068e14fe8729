# RaftjCuda.cmake: CUDA targets and flags for raftj's kernels.
#   RAFTJ_CUDA_GENCODE  the -gencode list: machine code for sm_80 (A100) and sm_90a (H100/H200),
#                       plus compute_90 PTX that newer GPUs compile at load time.
# Override with -DRAFTJ_CUDA_GENCODE="..." (e.g. only sm_90a for a quick build on a lent H100).
if(NOT DEFINED RAFTJ_CUDA_GENCODE)
  set(RAFTJ_CUDA_GENCODE
      "-gencode=arch=compute_80,code=sm_80"
      "-gencode=arch=compute_90a,code=sm_90a"
      "-gencode=arch=compute_90,code=compute_90")
endif()

# raftj_cuda_target(<target>): release flags, the gencode list, C++17, static CUDA runtime.
function(raftj_cuda_target target)
  set_target_properties(${target} PROPERTIES
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    CUDA_ARCHITECTURES OFF            # the explicit -gencode list below decides
    CUDA_RUNTIME_LIBRARY Static
    POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:${RAFTJ_CUDA_GENCODE} -O3 -Xptxas=-warn-spills --expt-relaxed-constexpr>)
endfunction()

// sampling.cu: batched sampling from [B, V] logits (fp32, bf16) with per-row temperature,
// top-k, top-p and min-p, without a full sort of the row. The passes over a row:
//   pass 1  max, argmax and sum of exp (online softmax). Greedy rows end here; rows with no
//           filter also draw here (Gumbel-max over the whole row: one pass in all).
//   pass 2  (top-k / top-p rows) a histogram of counts and fixed-point masses over fine bins of
//           d = (max - x) / T, which brackets the cutoff between two bins [s, e]; the same pass
//           copies the elements with d < 16 (probability above 1.1e-7 of the max) aside.
//   Bins above s are kept whole (Gumbel-max over them, min-p applied per element); the bracket's
//   elements are sorted in shared memory (bitonic), where a prefix sum of their masses fixes the
//   exact cutoff (ties to the lower index); Gumbel-max over those kept. Both come from the copy
//   when it holds them all (the usual case: two passes in all), else from a third pass.
//   A bracket too large for shared memory falls back to a radix select over the row (exact).
// Masses are integers (exp(-d) * 2^36), so every cutoff is exact and the same on every run.
// Noise: Philox4x32-10 keyed by the seed, counter (element / 4, row, offset).
//
// Two ways to spread that work: one block per row (sample_kernel), or, when B is too small to
// fill the GPU, S blocks per row (the split path: split_stats, split_hist, split_finish), whose
// partial statistics, histograms and copies meet in a caller-provided workspace. Max, integer
// masses and Gumbel-max are order-free, so both draw the same tokens; only the float sum of exp
// behind the log-probabilities is added in another order.
//
// This file: the one-block kernel and the C entry points; the shared row passes are in
// sample_row.cuh, the split path in sample_split.cuh.
#include <algorithm>

#include "sample_split.cuh"

namespace raftj {
namespace sampling {

// ---------------------------------------------------------------- one block per row

template <typename T, int THREADS>
__global__ void __launch_bounds__(THREADS, 1)
sample_kernel(const SampleArgs<T> a) {
    __shared__ Shared sh;
    RAFTJ_DYN_SMEM(dyn);
    ull* cand = reinterpret_cast<ull*>(dyn);  // [CAP] bracket keys
    ull* scan = cand + CAP;                   // [CAP] inclusive mass prefix of sorted keys
    ull* spec = scan + CAP;                   // [CAP] keys of d < 16 from pass 2
    ull* hmass = scan;                        // [NB] histogram (overlays scan until the draw)
    uint32_t* hcnt = reinterpret_cast<uint32_t*>(scan + NB);

    const int64_t row = blockIdx.x, V = a.V;
    const T* x = a.logits + row * a.stride;
    const bool vec_ok = aligned4(x);
    const RowParams rp = row_params(a.temperature, a.top_k, a.top_p, a.min_p, row, a.V);
    const Stat st = block_stats<T, THREADS>(x, V, vec_ok, 0, (V + 3) >> 2, rp, a.seed, a.offset, (uint32_t)row, sh);

    int64_t token = st.a < 0 ? 0 : st.a;
    if (rp.plain) {
        if (st.best.idx != INT64_MAX) token = st.best.idx;
    } else if (!rp.greedy) {
        int ns = 0;
        if (rp.bracketed()) {
            block_histogram<T, THREADS>(x, V, vec_ok, 0, (V + 3) >> 2, st.m, rp.inv_t, hcnt, hmass, spec, sh);
            ns = sh.nspec;
            bracket_cutoff<THREADS>(hcnt, hmass, rp, sh);
        } else {
            no_bracket(sh);
        }
        const Best b = draw_filtered<T, THREADS>(x, V, vec_ok, rp, st.m, a.seed, a.offset, (uint32_t)row, spec, ns,
                                                 ns <= CAP, cand, scan, sh);
        if (b.idx != INT64_MAX) token = b.idx;
    }
    if (threadIdx.x == 0) write_draw(x, row, st, token, a.tokens, a.logprobs);
}

template <typename T, int THREADS>
int launch(const SampleArgs<T>& a, int64_t B, cudaStream_t stream) {
    const size_t smem = 3 * CAP * sizeof(ull);  // 96 KB
    if (a.S > 1) return launch_split<T, THREADS>(a, B, smem, stream);
    static bool ok[64];
    auto kernel = sample_kernel<T, THREADS>;
    const int st = allow_smem(kernel, smem, ok);
    if (st != RAFTJ_OK) return st;
    RAFTJ_LAUNCH(kernel, (unsigned)B, THREADS, smem, stream, a);
    return launch_status();
}

template <typename T>
SampleArgs<T> args(const void* logits, int64_t V, int64_t stride, const float* temperature, const int64_t* top_k,
                   const float* top_p, const float* min_p, uint64_t seed, uint64_t offset, int64_t* tokens,
                   float* logprobs, int S, void* ws) {
    return SampleArgs<T>{static_cast<const T*>(logits), V, stride, temperature, top_k, top_p, min_p, seed, offset,
                         tokens, logprobs, S, static_cast<unsigned char*>(ws)};
}

bool valid_sizes(int64_t B, int64_t V) { return B >= 0 && B <= 0x7FFFFFFF && V >= 1 && V < (int64_t(1) << 27); }

}  // namespace sampling
}  // namespace raftj

extern "C" int raftj_sample_splits(int64_t B, int64_t V) {
    using namespace raftj;
    using namespace raftj::sampling;
    if (!valid_sizes(B, V) || B == 0) return 1;
    const int sms = sm_count();
    if (sms <= 0 || B >= sms) return 1;
    // One wave: the kernels hold one 512-thread block per SM (~120 registers a thread), so B * S
    // stays within the SM count; and no chunk under MIN_CHUNK elements.
    int64_t S = sms / B;
    S = std::min<int64_t>(S, std::min<int64_t>(V / MIN_CHUNK, MAX_SPLITS));
    return S < 2 ? 1 : (int)S;
}

extern "C" int64_t raftj_sample_workspace_bytes(int64_t B, int64_t V, int splits) {
    using namespace raftj;
    using namespace raftj::sampling;
    if (!valid_sizes(B, V) || splits < 0 || splits > MAX_SPLITS) return -1;
    if (splits <= 1) return 0;
    return B * (int64_t)SplitLayout{splits}.row_bytes();
}

extern "C" int raftj_sample(const void* logits, int dtype, int64_t B, int64_t V, int64_t row_stride,
                            const float* temperature, const int64_t* top_k, const float* top_p,
                            const float* min_p, uint64_t seed, uint64_t offset, int64_t* tokens,
                            float* logprobs, int splits, void* workspace, int64_t workspace_bytes, void* stream) {
    using namespace raftj;
    using namespace raftj::sampling;
    if (!valid_sizes(B, V) || row_stride < 0) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (row_stride > 0 && row_stride < V) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (dtype != RAFTJ_F32 && dtype != RAFTJ_BF16) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (splits < 0 || splits > MAX_SPLITS || (int64_t)splits * 4 > V + 3) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (B == 0) return RAFTJ_OK;
    if (!logits || !tokens || !logprobs) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (splits > 1 && (int64_t)splits * B > 0x7FFFFFFF) return RAFTJ_ERR_INVALID_ARGUMENT;
    const int64_t need = raftj_sample_workspace_bytes(B, V, splits);
    if (need > 0 && (!workspace || workspace_bytes < need || (reinterpret_cast<uintptr_t>(workspace) & 15)))
        return RAFTJ_ERR_WORKSPACE;
    if (dtype == RAFTJ_F32)
        return launch<float, SAMPLE_THREADS>(args<float>(logits, V, row_stride, temperature, top_k, top_p, min_p, seed,
                                                         offset, tokens, logprobs, splits, workspace),
                                             B, as_stream(stream));
    return launch<__nv_bfloat16, SAMPLE_THREADS>(args<__nv_bfloat16>(logits, V, row_stride, temperature, top_k, top_p,
                                                                     min_p, seed, offset, tokens, logprobs, splits,
                                                                     workspace),
                                                 B, as_stream(stream));
}

// topk.cu: ranking kernels for RAFT. Both rank by the key r - beta * (logp - logp_ref) (or r
// alone), computed in fp32 with no fused multiply-add, i.e. exactly as the separate tensor ops
// of the reference round it, and break ties to the lower index.
//   segmented top-m over [P, K], K <= 1024 (local ranking): rows of K <= 32 take a group of
//     next_pow2(K) lanes each and rank by shuffles; longer rows take a warp and a bitonic sort
//     in shared memory;
//   global top-k over n (global ranking): one block radix-selects the k-th largest key, compacts
//     the k winners into the workspace and sorts them (in shared memory up to 8192, else by
//     bitonic stages over the workspace).
#include <algorithm>

#include "common.cuh"

namespace raftj {
namespace {

__device__ inline float rank_key(const float* __restrict__ r, const float* __restrict__ lp,
                                 const float* __restrict__ lr, float beta, int64_t i) {
    float v = r[i];
    if (lp) v = __fsub_rn(v, __fmul_rn(beta, __fsub_rn(lp[i], lr[i])));
    return v;
}

constexpr int SEG_THREADS = 128;

// K <= 32: a group of W = next_pow2(K) lanes per row, one element per lane.
__global__ void __launch_bounds__(SEG_THREADS)
seg_topk_small(const float* __restrict__ r, const float* __restrict__ lp, const float* __restrict__ lr,
               float beta, int64_t P, int K, int W, int m, float* __restrict__ vals, int64_t* __restrict__ idx) {
    const int lane = threadIdx.x & 31;
    const int sub = lane / W, li = lane % W, per_warp = 32 / W;
    const int64_t warp = ((int64_t)blockIdx.x * SEG_THREADS + threadIdx.x) >> 5;
    const int64_t nwarps = ((int64_t)gridDim.x * SEG_THREADS) >> 5;
    for (int64_t base = warp * per_warp; base < P; base += nwarps * per_warp) {
        const int64_t row = base + sub;
        const bool live = row < P && li < K;
        float v = 0.f;
        uint64_t key = 0;
        if (live) {
            v = rank_key(r, lp, lr, beta, row * K + li);
            key = make_key(v, (uint32_t)li);
        }
        int rank = 0;
        for (int j = 0; j < W; ++j) rank += __shfl_sync(0xFFFFFFFFu, key, j, W) > key;
        if (live && rank < m) {
            vals[row * m + rank] = v;
            idx[row * m + rank] = li;
        }
    }
}

// 32 < K <= 1024: a warp per row, keys sorted in shared memory (Kp = next_pow2(K) per warp).
__global__ void __launch_bounds__(SEG_THREADS)
seg_topk_large(const float* __restrict__ r, const float* __restrict__ lp, const float* __restrict__ lr,
               float beta, int64_t P, int K, int Kp, int m, float* __restrict__ vals, int64_t* __restrict__ idx) {
    RAFTJ_DYN_SMEM(dyn);
    const int lane = threadIdx.x & 31, wib = threadIdx.x >> 5;
    uint64_t* s = reinterpret_cast<uint64_t*>(dyn) + (int64_t)wib * Kp;
    const int64_t warp = ((int64_t)blockIdx.x * SEG_THREADS + threadIdx.x) >> 5;
    const int64_t nwarps = ((int64_t)gridDim.x * SEG_THREADS) >> 5;
    for (int64_t row = warp; row < P; row += nwarps) {
        for (int j = lane; j < Kp; j += 32)
            s[j] = j < K ? make_key(rank_key(r, lp, lr, beta, row * K + j), (uint32_t)j) : 0;
        __syncwarp();
        for (int k = 2; k <= Kp; k <<= 1) {
            for (int j = k >> 1; j > 0; j >>= 1) {
                for (int t = lane; t < (Kp >> 1); t += 32) {
                    const int lo = ((t & ~(j - 1)) << 1) | (t & (j - 1)), hi = lo + j;
                    const uint64_t a = s[lo], b = s[hi];
                    const bool desc = (lo & k) == 0;
                    if (desc ? (a < b) : (a > b)) { s[lo] = b; s[hi] = a; }
                }
                __syncwarp();
            }
        }
        for (int j = lane; j < m; j += 32) {
            const uint32_t i = key_index(s[j]);
            vals[row * m + j] = rank_key(r, lp, lr, beta, row * K + i);
            idx[row * m + j] = i;
        }
        __syncwarp();
    }
}

// ---- global top-k ----

constexpr int G_THREADS = 1024;
constexpr int G_SMEM_SORT = 8192;  // keys sorted in one block's shared memory

struct KeySource {
    const float* r;
    const float* lp;
    const float* lr;
    float beta;
    int64_t n;
    template <typename F>
    __device__ void for_each(F&& f) const {
        for (int64_t i = threadIdx.x; i < n; i += G_THREADS) f(make_key(rank_key(r, lp, lr, beta, i), (uint32_t)i), 0ull);
    }
};

// One block: finds the k winners and writes their keys to ws[0..k), zeros to ws[k..kp).
__global__ void __launch_bounds__(G_THREADS)
global_select(const float* __restrict__ r, const float* __restrict__ lp, const float* __restrict__ lr, float beta,
              int64_t n, int64_t k, int64_t kp, uint64_t* __restrict__ ws) {
    __shared__ RadixScratch rs;
    __shared__ unsigned int counter;
    const KeySource src{r, lp, lr, beta, n};
    const SelResult sel = block_radix_select<G_THREADS>(src, false, (unsigned long long)k, 0u, 0ull, &rs);
    if (threadIdx.x == 0) counter = 0;
    __syncthreads();
    src.for_each([&](uint64_t key, unsigned long long) {
        if (key >= sel.cutoff) {
            const unsigned int slot = atomicAdd(&counter, 1u);
            if (slot < k) ws[slot] = key;
        }
    });
    for (int64_t j = k + threadIdx.x; j < kp; j += G_THREADS) ws[j] = 0;
}

__device__ inline void write_out(const float* r, const float* lp, const float* lr, float beta, uint64_t key,
                                 int64_t j, float* vals, int64_t* idx) {
    const uint32_t i = key_index(key);
    vals[j] = rank_key(r, lp, lr, beta, i);
    idx[j] = i;
}

// kp <= G_SMEM_SORT: sort in shared memory and write the first k.
__global__ void __launch_bounds__(G_THREADS)
global_sort_smem(const float* __restrict__ r, const float* __restrict__ lp, const float* __restrict__ lr, float beta,
                 int64_t k, int kp, const uint64_t* __restrict__ ws, float* __restrict__ vals,
                 int64_t* __restrict__ idx) {
    RAFTJ_DYN_SMEM(dyn);
    uint64_t* s = reinterpret_cast<uint64_t*>(dyn);
    for (int j = threadIdx.x; j < kp; j += G_THREADS) s[j] = ws[j];
    __syncthreads();
    block_bitonic_desc<G_THREADS>(s, kp);
    for (int64_t j = threadIdx.x; j < k; j += G_THREADS) write_out(r, lp, lr, beta, s[j], j, vals, idx);
}

// One bitonic stage (block size k2, distance j) over ws[0..kp), descending.
__global__ void global_bitonic_step(uint64_t* __restrict__ ws, int64_t kp, int64_t k2, int64_t j) {
    const int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (kp >> 1)) return;
    const int64_t lo = ((t & ~(j - 1)) << 1) | (t & (j - 1)), hi = lo + j;
    const uint64_t a = ws[lo], b = ws[hi];
    const bool desc = (lo & k2) == 0;
    if (desc ? (a < b) : (a > b)) { ws[lo] = b; ws[hi] = a; }
}

__global__ void global_write(const float* __restrict__ r, const float* __restrict__ lp, const float* __restrict__ lr,
                             float beta, int64_t k, const uint64_t* __restrict__ ws, float* __restrict__ vals,
                             int64_t* __restrict__ idx) {
    const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (j < k) write_out(r, lp, lr, beta, ws[j], j, vals, idx);
}

int64_t pow2_at_least(int64_t n) {
    int64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

}  // namespace
}  // namespace raftj

extern "C" int raftj_segmented_topk(const float* rewards, const float* logp, const float* logp_ref, float beta,
                                    int64_t P, int64_t K, int64_t m, float* values, int64_t* indices, void* stream) {
    using namespace raftj;
    if (P < 0 || K < 1 || K > 1024 || m < 1 || m > K) return RAFTJ_ERR_INVALID_ARGUMENT;
    if ((logp == nullptr) != (logp_ref == nullptr)) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (P == 0) return RAFTJ_OK;
    if (!rewards || !values || !indices) return RAFTJ_ERR_INVALID_ARGUMENT;
    const cudaStream_t st = as_stream(stream);
    const int warps_per_block = SEG_THREADS / 32;
    if (K <= 32) {
        const int W = (int)pow2_at_least(K);
        const int64_t warps = (P + (32 / W) - 1) / (32 / W);
        const int64_t blocks = std::min<int64_t>((warps + warps_per_block - 1) / warps_per_block, 65535);
        RAFTJ_LAUNCH(seg_topk_small, (unsigned)blocks, SEG_THREADS, 0, st, rewards, logp, logp_ref, beta, P, (int)K, W, (int)m,
                                                                  values, indices);
    } else {
        const int Kp = (int)pow2_at_least(K);
        const int64_t blocks = std::min<int64_t>((P + warps_per_block - 1) / warps_per_block, 65535);
        const size_t smem = (size_t)warps_per_block * Kp * sizeof(uint64_t);  // <= 32 KB
        RAFTJ_LAUNCH(seg_topk_large, (unsigned)blocks, SEG_THREADS, smem, st, rewards, logp, logp_ref, beta, P, (int)K, Kp,
                                                                     (int)m, values, indices);
    }
    return launch_status();
}

extern "C" int64_t raftj_global_topk_workspace_bytes(int64_t n, int64_t k) {
    if (n < 1 || n >= 0x7FFFFFFF || k < 1 || k > n) return -1;
    return 8 * raftj::pow2_at_least(k);
}

extern "C" int raftj_global_topk(const float* rewards, const float* logp, const float* logp_ref, float beta,
                                 int64_t n, int64_t k, float* values, int64_t* indices, void* workspace,
                                 int64_t workspace_bytes, void* stream) {
    using namespace raftj;
    const int64_t need = raftj_global_topk_workspace_bytes(n, k);
    if (need < 0 || (logp == nullptr) != (logp_ref == nullptr)) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (!rewards || !values || !indices) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (!workspace || workspace_bytes < need || (reinterpret_cast<uintptr_t>(workspace) & 7)) return RAFTJ_ERR_WORKSPACE;
    const cudaStream_t st = as_stream(stream);
    uint64_t* ws = static_cast<uint64_t*>(workspace);
    const int64_t kp = pow2_at_least(k);
    RAFTJ_LAUNCH(global_select, 1, G_THREADS, 0, st, rewards, logp, logp_ref, beta, n, k, kp, ws);
    int s = launch_status();
    if (s != RAFTJ_OK) return s;
    if (kp <= G_SMEM_SORT) {
        static bool smem_ok[64];
        const size_t smem = (size_t)kp * sizeof(uint64_t);
        s = allow_smem(global_sort_smem, smem, smem_ok);
        if (s != RAFTJ_OK) return s;
        RAFTJ_LAUNCH(global_sort_smem, 1, G_THREADS, smem, st, rewards, logp, logp_ref, beta, k, (int)kp, ws, values, indices);
        return launch_status();
    }
    const int threads = 256;
    const unsigned blocks = (unsigned)(((kp >> 1) + threads - 1) / threads);
    for (int64_t k2 = 2; k2 <= kp; k2 <<= 1) {
        for (int64_t j = k2 >> 1; j > 0; j >>= 1) {
            RAFTJ_LAUNCH(global_bitonic_step, blocks, threads, 0, st, ws, kp, k2, j);
            s = launch_status();
            if (s != RAFTJ_OK) return s;
        }
    }
    RAFTJ_LAUNCH(global_write, (unsigned)((k + threads - 1) / threads), threads, 0, st, rewards, logp, logp_ref, beta, k, ws,
                                                                              values, indices);
    return launch_status();
}

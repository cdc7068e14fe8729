// common.cuh: what the raftj kernels share: status plumbing, Philox4x32-10, bf16 loads,
// order-preserving 64-bit keys (value desc, then index asc), warp/block reductions and a
// block-wide radix select over such keys with count or fixed-point-mass targets.
#pragma once

#ifndef RAFTJ_EMULATE  // benchmarks/gpu/cuda_emu.h runs these kernels on CPU threads instead
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#endif
#include <stdint.h>
#include <string.h>

#include "raftj_kernels.h"

// Kernel launch and dynamic shared memory, spelled so the CPU emulation can stand in for them.
#ifdef RAFTJ_EMULATE
#define RAFTJ_LAUNCH(kernel, grid, block, smem, stream, ...) raftj_emu::launch(kernel, grid, block, smem, __VA_ARGS__)
#define RAFTJ_DYN_SMEM(name) unsigned char* name = raftj_emu::dynamic_smem()
#else
#define RAFTJ_LAUNCH(kernel, grid, block, smem, stream, ...) kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)
#define RAFTJ_DYN_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif

namespace raftj {

// ---- status ----

inline int cuda_status(cudaError_t e) { return e == cudaSuccess ? RAFTJ_OK : RAFTJ_CUDA_ERROR_BASE + (int)e; }

// Status of the launch just made (configuration errors surface here, faults later).
inline int launch_status() { return cuda_status(cudaGetLastError()); }

inline cudaStream_t as_stream(void* s) { return reinterpret_cast<cudaStream_t>(s); }

// Raises a kernel's dynamic shared-memory limit once per device (beyond 48 KB needs it).
template <typename K>
inline int allow_smem(K kernel, size_t bytes, bool* done_per_device) {
    int dev = 0;
    cudaError_t e = cudaGetDevice(&dev);
    if (e != cudaSuccess) return cuda_status(e);
    if (dev >= 0 && dev < 64 && done_per_device[dev]) return RAFTJ_OK;
    e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes);
    if (e != cudaSuccess) return cuda_status(e);
    if (dev >= 0 && dev < 64) done_per_device[dev] = true;
    return RAFTJ_OK;
}

// ---- Philox4x32-10 (Salmon et al., SC'11), counter-based: same (key, counter) -> same bits ----

struct U4 { uint32_t x, y, z, w; };

__host__ __device__ inline uint32_t mulhi32(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
    return __umulhi(a, b);
#else
    return (uint32_t)(((uint64_t)a * b) >> 32);
#endif
}

__host__ __device__ inline U4 philox4x32_10(U4 c, uint32_t k0, uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        const uint32_t hi0 = mulhi32(M0, c.x), lo0 = M0 * c.x;
        const uint32_t hi1 = mulhi32(M1, c.z), lo1 = M1 * c.z;
        c = U4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
        k0 += W0;
        k1 += W1;
    }
    return c;
}

// The 4 random words for elements 4g..4g+3 of `row` at stream `offset`.
__host__ __device__ inline U4 philox_group(uint64_t seed, uint64_t offset, uint32_t row, uint32_t g) {
    return philox4x32_10(U4{g, row, (uint32_t)offset, (uint32_t)(offset >> 32)}, (uint32_t)seed,
                         (uint32_t)(seed >> 32));
}

__host__ __device__ inline uint32_t pick(const U4& r, int q) {
    return q == 0 ? r.x : q == 1 ? r.y : q == 2 ? r.z : r.w;
}

// Standard Gumbel noise from 23 random bits: u in (0,1) exactly, -log(-log(u)).
__device__ inline float gumbel(uint32_t bits) {
    const float u = ((float)(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
    return -__logf(-logf(u));
}

// ---- element loads ----

__device__ inline float to_float(float v) { return v; }
__device__ inline float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// Four consecutive elements kept as loaded (fp32: one 16-byte load, bf16: one 8-byte load),
// widened to float only when used, so bf16 rows keep as many bytes in flight as fp32 rows.
template <typename T>
struct Raw4;
template <>
struct Raw4<float> {
    float4 r;
    __device__ void load(const float* p) { r = __ldg(reinterpret_cast<const float4*>(p)); }
    __device__ void load_tail(const float* p, int64_t i, int64_t n) {
        r.x = i < n ? p[i] : -INFINITY;
        r.y = i + 1 < n ? p[i + 1] : -INFINITY;
        r.z = i + 2 < n ? p[i + 2] : -INFINITY;
        r.w = i + 3 < n ? p[i + 3] : -INFINITY;
    }
    __device__ void get(float v[4]) const { v[0] = r.x; v[1] = r.y; v[2] = r.z; v[3] = r.w; }
};
template <>
struct Raw4<__nv_bfloat16> {
    uint2 r;
    __device__ void load(const __nv_bfloat16* p) { r = __ldg(reinterpret_cast<const uint2*>(p)); }
    __device__ void load_tail(const __nv_bfloat16* p, int64_t i, int64_t n) {
        const unsigned short* h = reinterpret_cast<const unsigned short*>(p);
        const unsigned ninf = 0xFF80u;  // bf16 -inf
        const unsigned a = i < n ? h[i] : ninf, b = i + 1 < n ? h[i + 1] : ninf;
        const unsigned c = i + 2 < n ? h[i + 2] : ninf, d = i + 3 < n ? h[i + 3] : ninf;
        r.x = a | (b << 16);
        r.y = c | (d << 16);
    }
    __device__ void get(float v[4]) const {
        v[0] = __uint_as_float(r.x << 16); v[1] = __uint_as_float(r.x & 0xFFFF0000u);
        v[2] = __uint_as_float(r.y << 16); v[3] = __uint_as_float(r.y & 0xFFFF0000u);
    }
};

// Calls f(g, v) for each group g of 4 consecutive elements (4g..4g+3, those >= n set to -inf)
// in [g_begin, g_end) owned by this thread; 16 / sizeof(T) groups' loads (32 KB per 512 threads)
// are in flight before the first use. vec_ok: p is aligned to 4 elements.
template <int THREADS, typename T, typename F>
__device__ inline void for_groups(const T* p, int64_t n, bool vec_ok, int64_t g_begin, int64_t g_end, F&& f) {
    constexpr int UNROLL = 16 / sizeof(T);
    for (int64_t g0 = g_begin + threadIdx.x; g0 < g_end; g0 += (int64_t)THREADS * UNROLL) {
        Raw4<T> raw[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int64_t g = g0 + (int64_t)u * THREADS;
            if (g < g_end) {
                const int64_t i = g << 2;
                if (vec_ok && i + 3 < n) raw[u].load(p + i);
                else raw[u].load_tail(p, i, n);
            }
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int64_t g = g0 + (int64_t)u * THREADS;
            if (g < g_end) {
                float v[4];
                raw[u].get(v);
                f(g, v);
            }
        }
    }
}

// The same over all the groups of p[0..n).
template <int THREADS, typename T, typename F>
__device__ inline void for_groups(const T* p, int64_t n, bool vec_ok, F&& f) {
    for_groups<THREADS>(p, n, vec_ok, 0, (n + 3) >> 2, f);
}

// ---- keys: larger key = earlier in "value descending, index ascending" order ----

// Order-preserving map of a float to uint32 (-0 folded onto +0; NaN above +inf, as torch.topk).
__host__ __device__ inline uint32_t ord_of(float x) {
    uint32_t u;
#ifdef __CUDA_ARCH__
    u = __float_as_uint(x);
#else
    memcpy(&u, &x, 4);
#endif
    if (u == 0x80000000u) u = 0;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__host__ __device__ inline float float_of_ord(uint32_t o) {
    const uint32_t u = (o & 0x80000000u) ? (o & 0x7FFFFFFFu) : ~o;
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float x;
    memcpy(&x, &u, 4);
    return x;
#endif
}

// Unique per element (index < 2^32 - 1), never 0, so 0 pads sorts and marks "taken".
__host__ __device__ inline uint64_t make_key(float x, uint32_t i) {
    return ((uint64_t)ord_of(x) << 32) | (uint64_t)(0xFFFFFFFFu - i);
}
__host__ __device__ inline uint32_t key_index(uint64_t k) { return 0xFFFFFFFFu - (uint32_t)k; }
__host__ __device__ inline float key_value(uint64_t k) { return float_of_ord((uint32_t)(k >> 32)); }

// ---- warp / block reductions (fixed order, so results are deterministic) ----

template <typename T>
__device__ inline T warp_sum(T v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    return v;
}

// Block sum; every thread gets the result. `scratch` holds THREADS/32 values.
template <int THREADS, typename T>
__device__ inline T block_sum(T v, T* scratch) {
    v = warp_sum(v);
    const int w = threadIdx.x >> 5, l = threadIdx.x & 31;
    __syncthreads();
    if (l == 0) scratch[w] = v;
    __syncthreads();
    T t = l < THREADS / 32 ? scratch[l] : T(0);
    return warp_sum(t);
}

// Best (score, index): higher score, then lower index.
struct Best {
    float score;
    int64_t idx;
};
__device__ inline Best better(Best a, Best b) {
    return (a.score > b.score || (a.score == b.score && a.idx < b.idx)) ? a : b;
}
__device__ inline Best warp_best(Best b) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        Best t{__shfl_xor_sync(0xFFFFFFFFu, b.score, o), __shfl_xor_sync(0xFFFFFFFFu, b.idx, o)};
        b = better(b, t);
    }
    return b;
}
template <int THREADS>
__device__ inline Best block_best(Best b, Best* scratch) {
    b = warp_best(b);
    const int w = threadIdx.x >> 5, l = threadIdx.x & 31;
    __syncthreads();
    if (l == 0) scratch[w] = b;
    __syncthreads();
    Best t = l < THREADS / 32 ? scratch[l] : Best{-INFINITY, INT64_MAX};
    return warp_best(t);
}

// Exclusive prefix sum over the block in thread order; `scratch` holds 32 values. Every thread
// gets its own exclusive prefix; `*total` (if not null) receives the block total.
template <int THREADS>
__device__ inline unsigned long long block_excl_scan(unsigned long long v, unsigned long long* scratch,
                                                     unsigned long long* total) {
    const int w = threadIdx.x >> 5, l = threadIdx.x & 31;
    unsigned long long inc = v;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const unsigned long long t = __shfl_up_sync(0xFFFFFFFFu, inc, o);
        if (l >= o) inc += t;
    }
    __syncthreads();
    if (l == 31) scratch[w] = inc;
    __syncthreads();
    if (w == 0) {
        const unsigned long long t = l < THREADS / 32 ? scratch[l] : 0ull;
        unsigned long long ti = t;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const unsigned long long u = __shfl_up_sync(0xFFFFFFFFu, ti, o);
            if (l >= o) ti += u;
        }
        if (l < THREADS / 32) scratch[l] = ti - t;
        if (l == 31 && total) *total = ti;
    }
    __syncthreads();
    return scratch[w] + inc - v;
}

// Sorts a[0..n) descending in shared memory, n a power of two; all threads of the block call it.
template <int THREADS, typename K>
__device__ inline void block_bitonic_desc(K* a, int n) {
    for (int k = 2; k <= n; k <<= 1) {
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int t = threadIdx.x; t < (n >> 1); t += THREADS) {
                const int lo = ((t & ~(j - 1)) << 1) | (t & (j - 1));
                const int hi = lo + j;
                const K x = a[lo], y = a[hi];
                const bool desc = (lo & k) == 0;
                if (desc ? (x < y) : (x > y)) { a[lo] = y; a[hi] = x; }
            }
            __syncthreads();
        }
    }
}

__host__ __device__ inline int next_pow2(int n) {
    int p = 1;
    while (p < n) p <<= 1;
    return p;
}

// ---- block radix select over unique 64-bit keys ----
//
// Finds the cutoff K such that {key >= K} is the shortest prefix (keys descending) whose
// count (or fixed-point mass) plus `acc` reaches `target`. A source calls f(key, mass) once
// per in-scope element, each element from exactly one thread. One pass per 8-bit digit; it stops
// early once the crossing digit bin holds one element.
struct RadixScratch {
    uint32_t cnt[256];
    unsigned long long mass[256];
    uint64_t prefix;
    uint32_t acc_cnt, bin_cnt;
    unsigned long long acc_mass, bin_mass;
    int done;
};

struct SelResult {
    uint64_t cutoff;             // keep keys >= cutoff
    uint32_t count;              // elements kept, acc included
    unsigned long long mass;     // their mass, acc included
};

template <int THREADS, typename Source>
__device__ SelResult block_radix_select(const Source& src, bool by_mass, unsigned long long target,
                                        uint32_t acc_cnt, unsigned long long acc_mass, RadixScratch* sh) {
    uint64_t prefix = 0;
    for (int level = 0; level < 8; ++level) {
        const int shift = 56 - 8 * level;
        for (int b = threadIdx.x; b < 256; b += THREADS) { sh->cnt[b] = 0; sh->mass[b] = 0; }
        __syncthreads();
        src.for_each([&](uint64_t key, unsigned long long mass) {
            if (level == 0 || (key >> (shift + 8)) == prefix) {
                const int d = (int)((key >> shift) & 255);
                atomicAdd(&sh->cnt[d], 1u);
                if (mass) atomicAdd(&sh->mass[d], mass);
            }
        });
        __syncthreads();
        if (threadIdx.x < 32) {
            // lane l holds bins 8l..8l+7; cumulative sums run from bin 255 down.
            const int l = threadIdx.x;
            uint32_t c = 0;
            unsigned long long m = 0;
            for (int j = 0; j < 8; ++j) { c += sh->cnt[8 * l + j]; m += sh->mass[8 * l + j]; }
            uint32_t cs = c;  // inclusive suffix over lanes >= l
            unsigned long long ms = m;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                const uint32_t tc = __shfl_down_sync(0xFFFFFFFFu, cs, o);
                const unsigned long long tm = __shfl_down_sync(0xFFFFFFFFu, ms, o);
                if (l + o < 32) { cs += tc; ms += tm; }
            }
            const bool reach = by_mass ? (acc_mass + ms >= target) : ((unsigned long long)acc_cnt + cs >= target);
            const unsigned ballot = __ballot_sync(0xFFFFFFFFu, reach);
            if (ballot == 0) {
                // Target beyond everything in scope: keep it all.
                if (l == 0) {
                    sh->prefix = 0; sh->done = 2;
                    sh->acc_cnt = acc_cnt + cs; sh->acc_mass = acc_mass + ms;
                }
            } else {
                const int L = 31 - __clz(ballot);  // highest lane that reaches
                if (l == L) {
                    uint32_t ac = acc_cnt + (cs - c);  // everything in lanes above
                    unsigned long long am = acc_mass + (ms - m);
                    int b = 8 * l + 7;
                    for (; b > 8 * l; --b) {
                        const bool r = by_mass ? (am + sh->mass[b] >= target)
                                               : ((unsigned long long)ac + sh->cnt[b] >= target);
                        if (r) break;
                        ac += sh->cnt[b];
                        am += sh->mass[b];
                    }
                    sh->prefix = (prefix << 8) | (uint64_t)b;
                    sh->acc_cnt = ac; sh->acc_mass = am;
                    sh->bin_cnt = sh->cnt[b]; sh->bin_mass = sh->mass[b];
                    sh->done = (sh->cnt[b] <= 1 || level == 7) ? 1 : 0;
                }
            }
        }
        __syncthreads();
        const int done = sh->done;
        prefix = sh->prefix;
        acc_cnt = sh->acc_cnt;
        acc_mass = sh->acc_mass;
        if (done == 2) { __syncthreads(); return SelResult{0, acc_cnt, acc_mass}; }
        if (done == 1) {
            SelResult r{prefix << shift, acc_cnt + sh->bin_cnt, acc_mass + sh->bin_mass};
            __syncthreads();  // scratch may be reused by the caller
            return r;
        }
        __syncthreads();
    }
    return SelResult{prefix, acc_cnt, acc_mass};  // not reached
}

}  // namespace raftj

// sampling.cu: batched sampling from [B, V] logits (fp32, bf16) with per-row temperature,
// top-k, top-p and min-p, without a full sort of the row. One block per row:
//   pass 1  max, argmax and sum of exp (online softmax). Greedy rows end here; rows with no
//           filter also draw here (Gumbel-max over the whole row: one pass in all).
//   pass 2  (top-k / top-p rows) a histogram of counts and fixed-point masses over fine bins of
//           d = (max - x) / T, which brackets the cutoff between two bins [s, e]; the same pass
//           copies the elements with d < 16 (probability above 1.1e-7 of the max) to shared memory.
//   Bins above s are kept whole (Gumbel-max over them, min-p applied per element); the bracket's
//   elements are sorted in shared memory (bitonic), where a prefix sum of their masses fixes the
//   exact cutoff (ties to the lower index); Gumbel-max over those kept. Both come from the shared
//   copy when it holds them all (the usual case: two passes in all), else from a third pass.
//   A bracket too large for shared memory falls back to a radix select over the row (exact).
// Masses are integers (exp(-d) * 2^36), so every cutoff is exact and the same on every run.
// Noise: Philox4x32-10 keyed by the seed, counter (element / 4, row, offset).
#include "common.cuh"

namespace raftj {
namespace {

typedef unsigned long long ull;

constexpr int NEAR_BINS = 1536;  // d in [0, 24) in steps of 1/64
constexpr int NB = NEAR_BINS + 1;  // + one bin for d >= 24 (and -inf, NaN)
constexpr int CAP = 4096;  // bracket elements sorted in shared memory
constexpr int SPEC_BINS = 1024;  // bins of d < 16, copied to shared memory during pass 2
constexpr int SAMPLE_THREADS = 512;  // 1 block per SM at <= 128 registers, 32 KB of loads in flight

__device__ inline float dist(float m, float x, float inv_t) { return __fmul_rn(__fsub_rn(m, x), inv_t); }
__device__ inline int bin_of(float d) { return d < 24.0f ? (int)(d * 64.0f) : NEAR_BINS; }
__device__ inline float rel_of(float d) { return expf(-d); }  // probability relative to the max
__device__ inline ull mass_of(float rel) { return __float2ull_rn(rel * 68719476736.0f); }

// Smallest p-prefix target in fixed point: ceil(p * M), kept within [1, max(M, 1)].
__device__ inline ull top_p_target(float p, ull m) {
    const double t = ceil((double)p * (double)m);
    if (!(t >= 1.0)) return 1ull;
    if (t >= (double)m) return m > 0 ? m : 1ull;
    return (ull)t;
}

template <typename A>
__device__ inline int first_ge(const A* a, int n, ull target) {  // a non-decreasing
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const int mid = (lo + hi) >> 1;
        if ((ull)a[mid] >= target) hi = mid; else lo = mid + 1;
    }
    return lo;
}

struct Shared {
    float wm[32], ws[32];
    int64_t wa[32];
    Best best[32];
    ull wsum[32];
    uint32_t wcnt[32];
    RadixScratch rs;
    float m, s1;
    int64_t amax;
    int s, e, cut;
    uint32_t acc_cnt, n;
    ull acc_mass, mtot, kmass;
    int ncand, nspec, spec_over;
};

__device__ inline void merge_stat(float& m, float& s, int64_t& a, float om, float os, int64_t oa) {
    if (oa < 0) return;
    if (a < 0) { m = om; s = os; a = oa; return; }
    const float nm = fmaxf(m, om);
    const float sa = m > -INFINITY ? s * __expf(m - nm) : 0.f;
    const float sb = om > -INFINITY ? os * __expf(om - nm) : 0.f;
    a = m > om ? a : (om > m ? oa : min(a, oa));
    s = sa + sb;
    m = nm;
}

// Elements of the row inside bins [s, e], as (key, mass) for the radix select.
template <typename T, int THREADS>
struct BracketSource {
    const T* x;
    int64_t V;
    bool vec_ok;
    float m, inv_t;
    int s, e;
    template <typename F>
    __device__ void for_each(F&& f) const {
        for_groups<THREADS>(x, V, vec_ok, [&](int64_t g, const float(&v)[4]) {
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                const int64_t i = 4 * g + q;
                if (i >= V) break;
                const float d = dist(m, v[q], inv_t);
                const int b = bin_of(d);
                if (b >= s && b <= e) f(make_key(v[q], (uint32_t)i), mass_of(rel_of(d)));
            }
        });
    }
};

template <typename T, int THREADS>
__global__ void __launch_bounds__(THREADS, 1)
sample_kernel(const T* __restrict__ logits, int64_t V, int64_t stride, const float* __restrict__ temperature,
              const int64_t* __restrict__ top_k, const float* __restrict__ top_p,
              const float* __restrict__ min_p, uint64_t seed, uint64_t offset,
              int64_t* __restrict__ tokens, float* __restrict__ logprobs) {
    __shared__ Shared sh;
    RAFTJ_DYN_SMEM(dyn);
    ull* cand = reinterpret_cast<ull*>(dyn);  // [CAP] bracket keys
    ull* scan = cand + CAP;                   // [CAP] inclusive mass prefix of sorted keys
    ull* spec = scan + CAP;                   // [CAP] keys of d < 16 from pass 2
    ull* hmass = scan;                        // [NB] histogram (overlays scan until pass 3)
    uint32_t* hcnt = reinterpret_cast<uint32_t*>(scan + NB);

    const int tid = threadIdx.x;
    const int64_t row = blockIdx.x;
    const uint32_t row32 = (uint32_t)row;
    const T* x = logits + row * stride;
    const bool vec_ok = (reinterpret_cast<uintptr_t>(x) & (4 * sizeof(T) - 1)) == 0;

    const float temp = temperature ? temperature[row] : 1.0f;
    const int64_t k = top_k ? top_k[row] : 0;
    const float p = top_p ? top_p[row] : 1.0f;
    const float mp_raw = min_p ? min_p[row] : 0.0f;
    const bool greedy = !(temp > 0.0f);
    const bool k_on = !greedy && k > 0 && k < V;
    const bool p_on = !greedy && p < 1.0f;
    const bool mp_on = !greedy && mp_raw > 0.0f;
    const float mp = fminf(mp_raw, 1.0f);
    const bool plain = !greedy && !k_on && !p_on && !mp_on;
    const float inv_t = greedy ? 1.0f : 1.0f / temp;

    // ---- pass 1: max, argmax, sum of exp; plain rows draw here ----
    float tm = -INFINITY, ts = 0.0f;
    int64_t ta = -1;
    Best tb{-INFINITY, INT64_MAX};
    for_groups<THREADS>(x, V, vec_ok, [&](int64_t g, const float(&v)[4]) {
        // Gumbel noise never exceeds 16.7 (23-bit uniforms), so an element more than 17 below this
        // thread's best score cannot win: its noise (Philox and two logs) is skipped, exactly.
        const float floor_score = tb.score - 17.0f;
        U4 rnd;
        if (plain && fmaxf(fmaxf(v[0], v[1]), fmaxf(v[2], v[3])) * inv_t >= floor_score)
            rnd = philox_group(seed, offset, row32, (uint32_t)g);
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            const int64_t i = 4 * g + q;
            if (i >= V) break;
            const float xv = v[q];
            if (xv > tm) {
                ts = ts * __expf(tm - xv) + 1.0f;
                tm = xv;
                ta = i;
            } else {
                if (ta < 0) ta = i;
                if (xv > -INFINITY) ts += __expf(xv - tm);
            }
            if (plain && xv * inv_t >= floor_score) tb = better(tb, Best{xv * inv_t + gumbel(pick(rnd, q)), i});
        }
    });
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float om = __shfl_xor_sync(0xFFFFFFFFu, tm, o);
        const float os = __shfl_xor_sync(0xFFFFFFFFu, ts, o);
        const int64_t oa = __shfl_xor_sync(0xFFFFFFFFu, ta, o);
        merge_stat(tm, ts, ta, om, os, oa);
    }
    if ((tid & 31) == 0) { sh.wm[tid >> 5] = tm; sh.ws[tid >> 5] = ts; sh.wa[tid >> 5] = ta; }
    __syncthreads();
    if (tid < 32) {
        tm = -INFINITY; ts = 0.0f; ta = -1;
        if (tid < THREADS / 32) { tm = sh.wm[tid]; ts = sh.ws[tid]; ta = sh.wa[tid]; }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            const float om = __shfl_xor_sync(0xFFFFFFFFu, tm, o);
            const float os = __shfl_xor_sync(0xFFFFFFFFu, ts, o);
            const int64_t oa = __shfl_xor_sync(0xFFFFFFFFu, ta, o);
            merge_stat(tm, ts, ta, om, os, oa);
        }
        if (tid == 0) { sh.m = tm; sh.s1 = ts; sh.amax = ta < 0 ? 0 : ta; }
    }
    __syncthreads();
    const float m = sh.m;

    int64_t token = sh.amax;
    if (plain) {
        const Best b = block_best<THREADS>(tb, sh.best);
        if (b.idx != INT64_MAX) token = b.idx;
    } else if (!greedy) {
        // ---- pass 2: bracket the cutoff with a histogram over d ----
        int s = NB, e = NB;
        uint32_t acc_cnt = 0;
        ull acc_mass = 0, mtot = 0;
        if (k_on || p_on) {
            for (int b = tid; b < NB; b += THREADS) { hcnt[b] = 0; hmass[b] = 0; }
            if (tid == 0) { sh.nspec = 0; sh.spec_over = 0; }
            __syncthreads();
            volatile int* spec_over = &sh.spec_over;
            uint32_t far_cnt = 0;
            ull far_mass = 0;
            for_groups<THREADS>(x, V, vec_ok, [&](int64_t g, const float(&v)[4]) {
#pragma unroll
                for (int q = 0; q < 4; ++q) {
                    const int64_t i = 4 * g + q;
                    if (i >= V) break;
                    const float d = dist(m, v[q], inv_t);
                    const int b = bin_of(d);
                    const ull ms = mass_of(rel_of(d));
                    if (b < NEAR_BINS) {
                        atomicAdd(&hcnt[b], 1u);
                        if (ms) atomicAdd(&hmass[b], ms);
                        if (b < SPEC_BINS && !*spec_over) {
                            const int slot = atomicAdd(&sh.nspec, 1);
                            if (slot < CAP) spec[slot] = make_key(v[q], (uint32_t)i);
                            else *spec_over = 1;
                        }
                    } else {
                        far_cnt += 1;
                        far_mass += ms;
                    }
                }
            });
            far_cnt = block_sum<THREADS>(far_cnt, sh.wcnt);
            far_mass = block_sum<THREADS>(far_mass, sh.wsum);
            if (tid == 0) { hcnt[NEAR_BINS] = far_cnt; hmass[NEAR_BINS] = far_mass; }
            __syncthreads();
            if (tid < 32) {  // inclusive prefix over the bins, in place
                constexpr int CH = (NB + 31) / 32;
                const int lo = tid * CH, hi = min(NB, lo + CH);
                uint32_t c = 0;
                ull ms = 0;
                for (int b = lo; b < hi; ++b) { c += hcnt[b]; ms += hmass[b]; }
                uint32_t ci = c;
                ull mi = ms;
#pragma unroll
                for (int o = 1; o < 32; o <<= 1) {
                    const uint32_t tc = __shfl_up_sync(0xFFFFFFFFu, ci, o);
                    const ull tmm = __shfl_up_sync(0xFFFFFFFFu, mi, o);
                    if (tid >= o) { ci += tc; mi += tmm; }
                }
                c = ci - c;
                ms = mi - ms;
                for (int b = lo; b < hi; ++b) {
                    c += hcnt[b]; ms += hmass[b];
                    hcnt[b] = c; hmass[b] = ms;
                }
            }
            __syncthreads();
            if (tid == 0) {
                const ull total = hmass[NB - 1];
                const int bk = k_on ? first_ge(hcnt, NB, (ull)k) : NB - 1;
                int s0, e0;
                if (p_on) {
                    const ull mlo = k_on ? (bk > 0 ? hmass[bk - 1] : 0ull) : total;
                    s0 = min(first_ge(hmass, NB, top_p_target(p, mlo)), bk);
                    e0 = k_on ? bk : s0;
                } else {
                    s0 = e0 = bk;
                }
                sh.s = s0; sh.e = e0; sh.mtot = total;
                sh.acc_cnt = s0 > 0 ? hcnt[s0 - 1] : 0;
                sh.acc_mass = s0 > 0 ? hmass[s0 - 1] : 0;
                sh.n = hcnt[e0] - sh.acc_cnt;
            }
            __syncthreads();
            s = sh.s; e = sh.e; acc_cnt = sh.acc_cnt; acc_mass = sh.acc_mass; mtot = sh.mtot;
        }
        const bool fits = (k_on || p_on) ? sh.n <= CAP : true;
        const bool from_spec = (k_on || p_on) && sh.nspec <= CAP && e < SPEC_BINS;

        if (from_spec) {
            // ---- no third pass: every element of bins <= e is in the shared copy ----
            if (tid == 0) sh.ncand = 0;
            __syncthreads();
            const int ns = sh.nspec;
            for (int j = tid; j < ns; j += THREADS) {
                const ull key = spec[j];
                const float xv = key_value(key);
                const uint32_t i = key_index(key);
                const float d = dist(m, xv, inv_t);
                const int b = bin_of(d);
                if (b < s) {
                    if (!mp_on || rel_of(d) >= mp) {
                        const U4 rnd = philox_group(seed, offset, row32, i >> 2);
                        tb = better(tb, Best{-d + gumbel(pick(rnd, (int)(i & 3))), (int64_t)i});
                    }
                } else if (b <= e) {
                    cand[atomicAdd(&sh.ncand, 1)] = key;
                }
            }
            __syncthreads();
        } else if (fits) {
            // ---- pass 3: whole bins above the bracket, bracket into shared memory ----
            if (tid == 0) sh.ncand = 0;
            __syncthreads();
            for_groups<THREADS>(x, V, vec_ok, [&](int64_t g, const float(&v)[4]) {
                U4 rnd;
                bool have = false;
#pragma unroll
                for (int q = 0; q < 4; ++q) {
                    const int64_t i = 4 * g + q;
                    if (i >= V) break;
                    const float d = dist(m, v[q], inv_t);
                    const int b = bin_of(d);
                    if (b < s) {
                        if (!mp_on || rel_of(d) >= mp) {
                            if (!have) { rnd = philox_group(seed, offset, row32, (uint32_t)g); have = true; }
                            tb = better(tb, Best{-d + gumbel(pick(rnd, q)), i});
                        }
                    } else if (b <= e) {
                        const int slot = atomicAdd(&sh.ncand, 1);
                        if (slot < CAP) cand[slot] = make_key(v[q], (uint32_t)i);
                    }
                }
            });
            __syncthreads();
        }
        if (from_spec || fits) {
            const int nc = min(sh.ncand, CAP);
            if (nc > 0) {
                const int np = next_pow2(nc);
                for (int j = nc + tid; j < np; j += THREADS) cand[j] = 0;
                __syncthreads();
                block_bitonic_desc<THREADS>(cand, np);
                const int per = (nc + THREADS - 1) / THREADS;
                const int j0 = min(nc, tid * per), j1 = min(nc, j0 + per);
                ull local = 0;
                for (int j = j0; j < j1; ++j) local += mass_of(rel_of(dist(m, key_value(cand[j]), inv_t)));
                ull run = acc_mass + block_excl_scan<THREADS>(local, sh.wsum, nullptr);
                for (int j = j0; j < j1; ++j) {
                    run += mass_of(rel_of(dist(m, key_value(cand[j]), inv_t)));
                    scan[j] = run;  // acc_mass + mass of sorted[0..j]
                }
                __syncthreads();
                if (tid == 0) {
                    int cut = nc - 1;
                    ull kmass = mtot;
                    if (k_on) {
                        cut = (int)min((int64_t)nc - 1, max((int64_t)0, k - (int64_t)acc_cnt - 1));
                        kmass = scan[cut];
                    }
                    if (p_on) cut = min(cut, first_ge(scan, cut + 1, top_p_target(p, kmass)));
                    sh.cut = cut;
                }
                __syncthreads();
                const int cut = sh.cut;
                for (int j = tid; j <= cut; j += THREADS) {
                    const ull key = cand[j];
                    const float xv = key_value(key);
                    const uint32_t i = key_index(key);
                    const float d = dist(m, xv, inv_t);
                    if (!mp_on || rel_of(d) >= mp) {
                        const U4 rnd = philox_group(seed, offset, row32, i >> 2);
                        tb = better(tb, Best{-d + gumbel(pick(rnd, (int)(i & 3))), (int64_t)i});
                    }
                }
            }
        } else {
            // ---- fallback: exact radix select over the bracket, then one more pass ----
            BracketSource<T, THREADS> src{x, V, vec_ok, m, inv_t, s, e};
            uint64_t cutoff = 0;
            ull kmass = mtot;
            if (k_on) {
                const SelResult r = block_radix_select<THREADS>(src, false, (ull)k, acc_cnt, acc_mass, &sh.rs);
                cutoff = r.cutoff;
                kmass = r.mass;
            }
            if (p_on) {
                const SelResult r = block_radix_select<THREADS>(src, true, top_p_target(p, kmass), acc_cnt,
                                                                acc_mass, &sh.rs);
                cutoff = cutoff > r.cutoff ? cutoff : r.cutoff;
            }
            for_groups<THREADS>(x, V, vec_ok, [&](int64_t g, const float(&v)[4]) {
                U4 rnd;
                bool have = false;
#pragma unroll
                for (int q = 0; q < 4; ++q) {
                    const int64_t i = 4 * g + q;
                    if (i >= V) break;
                    const float d = dist(m, v[q], inv_t);
                    const int b = bin_of(d);
                    const bool keep = b < s || (b <= e && make_key(v[q], (uint32_t)i) >= cutoff);
                    if (keep && (!mp_on || rel_of(d) >= mp)) {
                        if (!have) { rnd = philox_group(seed, offset, row32, (uint32_t)g); have = true; }
                        tb = better(tb, Best{-d + gumbel(pick(rnd, q)), i});
                    }
                }
            });
        }
        const Best b = block_best<THREADS>(tb, sh.best);
        if (b.idx != INT64_MAX) token = b.idx;
    }

    if (tid == 0) {
        tokens[row] = token;
        logprobs[row] = (to_float(x[token]) - m) - logf(sh.s1);
    }
}

template <typename T, int THREADS>
int launch(const void* logits, int64_t B, int64_t V, int64_t stride, const float* temperature,
           const int64_t* top_k, const float* top_p, const float* min_p, uint64_t seed, uint64_t offset,
           int64_t* tokens, float* logprobs, cudaStream_t stream) {
    static bool smem_ok[64];
    const size_t smem = 3 * CAP * sizeof(ull);  // 96 KB
    auto kernel = sample_kernel<T, THREADS>;
    const int st = allow_smem(kernel, smem, smem_ok);
    if (st != RAFTJ_OK) return st;
    RAFTJ_LAUNCH(kernel, (unsigned)B, THREADS, smem, stream, static_cast<const T*>(logits), V, stride, temperature,
                 top_k, top_p, min_p, seed, offset, tokens, logprobs);
    return launch_status();
}

}  // namespace
}  // namespace raftj

extern "C" int raftj_sample(const void* logits, int dtype, int64_t B, int64_t V, int64_t row_stride,
                            const float* temperature, const int64_t* top_k, const float* top_p,
                            const float* min_p, uint64_t seed, uint64_t offset, int64_t* tokens,
                            float* logprobs, void* stream) {
    using namespace raftj;
    if (B < 0 || B > 0x7FFFFFFF || V < 1 || V >= (int64_t(1) << 27) || row_stride < 0) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (row_stride > 0 && row_stride < V) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (dtype != RAFTJ_F32 && dtype != RAFTJ_BF16) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (B == 0) return RAFTJ_OK;
    if (!logits || !tokens || !logprobs) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (dtype == RAFTJ_F32)
        return launch<float, SAMPLE_THREADS>(logits, B, V, row_stride, temperature, top_k, top_p, min_p, seed, offset,
                                      tokens, logprobs, as_stream(stream));
    return launch<__nv_bfloat16, SAMPLE_THREADS>(logits, B, V, row_stride, temperature, top_k, top_p, min_p, seed,
                                          offset, tokens, logprobs, as_stream(stream));
}

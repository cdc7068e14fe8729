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
#include <algorithm>

#include "common.cuh"

namespace raftj {
namespace {

typedef unsigned long long ull;

constexpr int NEAR_BINS = 1536;  // d in [0, 24) in steps of 1/64
constexpr int NB = NEAR_BINS + 1;  // + one bin for d >= 24 (and -inf, NaN)
constexpr int CAP = 4096;  // bracket elements sorted in shared memory
constexpr int SPEC_BINS = 1024;  // bins of d < 16, copied aside during pass 2
constexpr int SAMPLE_THREADS = 512;  // 1 block per SM at <= 128 registers, 32 KB of loads in flight
constexpr int MIN_CHUNK = 8192;  // elements per block of the split path, at least (one load round)
constexpr int MAX_SPLITS = 64;

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

// One row's sampling parameters, decoded once.
struct RowParams {
    float inv_t, p, mp;
    int64_t k;
    bool greedy, k_on, p_on, mp_on, plain;
    __device__ bool bracketed() const { return k_on || p_on; }
};

__device__ inline RowParams row_params(const float* temperature, const int64_t* top_k, const float* top_p,
                                       const float* min_p, int64_t row, int64_t V) {
    RowParams r;
    const float temp = temperature ? temperature[row] : 1.0f;
    const float mp_raw = min_p ? min_p[row] : 0.0f;
    r.k = top_k ? top_k[row] : 0;
    r.p = top_p ? top_p[row] : 1.0f;
    r.greedy = !(temp > 0.0f);
    r.k_on = !r.greedy && r.k > 0 && r.k < V;
    r.p_on = !r.greedy && r.p < 1.0f;
    r.mp_on = !r.greedy && mp_raw > 0.0f;
    r.mp = fminf(mp_raw, 1.0f);
    r.plain = !r.greedy && !r.k_on && !r.p_on && !r.mp_on;
    r.inv_t = r.greedy ? 1.0f : 1.0f / temp;
    return r;
}

// A raftj_sample call as its kernels see it.
template <typename T>
struct SampleArgs {
    const T* logits;
    int64_t V, stride;
    const float* temperature;
    const int64_t* top_k;
    const float* top_p;
    const float* min_p;
    uint64_t seed, offset;
    int64_t* tokens;
    float* logprobs;
    int S;              // blocks per row (split path)
    unsigned char* ws;  // the split path's workspace
};

// Softmax statistics of a stretch of a row: max, sum of exp(x - max), first argmax (-1 when the
// stretch is empty) and, for plain rows, the Gumbel-max winner.
struct Stat {
    float m, s;
    int64_t a;
    Best best;
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

__device__ inline void merge_stat(Stat& x, const Stat& y) {
    merge_stat(x.m, x.s, x.a, y.m, y.s, y.a);
    x.best = better(x.best, y.best);
}

struct Shared {
    float wm[32], ws[32];
    int64_t wa[32];
    Best best[32];
    ull wsum[32];
    uint32_t wcnt[32];
    RadixScratch rs;
    Stat stat;
    int s, e, cut;
    uint32_t acc_cnt, n;
    ull acc_mass, mtot;
    int ncand, nspec, spec_over, base;
};

// Calls f(i, x_i, d_i, bin_i, q, noise) for every element of the row, where noise() returns the
// Philox words of its group (element i's are pick(noise(), q)), drawn once per group and only if asked.
template <int THREADS, typename T, typename F>
__device__ inline void for_elements(const T* x, int64_t V, bool vec_ok, int64_t g0, int64_t g1, float m, float inv_t,
                                    uint64_t seed, uint64_t offset, uint32_t row, F&& f) {
    for_groups<THREADS>(x, V, vec_ok, g0, g1, [&](int64_t g, const float(&v)[4]) {
        U4 rnd;
        bool have = false;
        auto noise = [&]() -> const U4& {
            if (!have) { rnd = philox_group(seed, offset, row, (uint32_t)g); have = true; }
            return rnd;
        };
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            const int64_t i = 4 * g + q;
            if (i >= V) break;
            const float d = dist(m, v[q], inv_t);
            f(i, v[q], d, bin_of(d), q, noise);
        }
    });
}

// Pass 1 over groups [g0, g1) of a row. Every thread gets the block's statistics.
template <typename T, int THREADS>
__device__ Stat block_stats(const T* x, int64_t V, bool vec_ok, int64_t g0, int64_t g1, const RowParams& rp,
                            uint64_t seed, uint64_t offset, uint32_t row, Shared& sh) {
    const int tid = threadIdx.x;
    float tm = -INFINITY, ts = 0.0f;
    int64_t ta = -1;
    Best tb{-INFINITY, INT64_MAX};
    for_groups<THREADS>(x, V, vec_ok, g0, g1, [&](int64_t g, const float(&v)[4]) {
        // Gumbel noise never exceeds 16.7 (23-bit uniforms), so an element more than 17 below this
        // thread's best score cannot win: its noise (Philox and two logs) is skipped, exactly.
        const float floor_score = tb.score - 17.0f;
        U4 rnd;
        if (rp.plain && fmaxf(fmaxf(v[0], v[1]), fmaxf(v[2], v[3])) * rp.inv_t >= floor_score)
            rnd = philox_group(seed, offset, row, (uint32_t)g);
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
            if (rp.plain && xv * rp.inv_t >= floor_score) tb = better(tb, Best{xv * rp.inv_t + gumbel(pick(rnd, q)), i});
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
        if (tid == 0) { sh.stat.m = tm; sh.stat.s = ts; sh.stat.a = ta; }
    }
    const Best b = rp.plain ? block_best<THREADS>(tb, sh.best) : Best{-INFINITY, INT64_MAX};  // both sync
    if (!rp.plain) __syncthreads();
    return Stat{sh.stat.m, sh.stat.s, sh.stat.a, b};
}

// Pass 2 over groups [g0, g1): counts and fixed-point masses per bin of d into hcnt/hmass (zeroed
// here, the far bin included), and the keys with d < 16 into spec (sh.nspec of them; beyond CAP
// sh.spec_over is set and the copy is incomplete).
template <typename T, int THREADS>
__device__ void block_histogram(const T* x, int64_t V, bool vec_ok, int64_t g0, int64_t g1, float m, float inv_t,
                                uint32_t* hcnt, ull* hmass, ull* spec, Shared& sh) {
    const int tid = threadIdx.x;
    for (int b = tid; b < NB; b += THREADS) { hcnt[b] = 0; hmass[b] = 0; }
    if (tid == 0) { sh.nspec = 0; sh.spec_over = 0; }
    __syncthreads();
    volatile int* spec_over = &sh.spec_over;
    uint32_t far_cnt = 0;
    ull far_mass = 0;
    for_elements<THREADS>(x, V, vec_ok, g0, g1, m, inv_t, 0, 0, 0, [&](int64_t i, float xv, float d, int b, int, auto&) {
        const ull ms = mass_of(rel_of(d));
        if (b < NEAR_BINS) {
            atomicAdd(&hcnt[b], 1u);
            if (ms) atomicAdd(&hmass[b], ms);
            if (b < SPEC_BINS && !*spec_over) {
                const int slot = atomicAdd(&sh.nspec, 1);
                if (slot < CAP) spec[slot] = make_key(xv, (uint32_t)i);
                else *spec_over = 1;
            }
        } else {
            far_cnt += 1;
            far_mass += ms;
        }
    });
    far_cnt = block_sum<THREADS>(far_cnt, sh.wcnt);
    far_mass = block_sum<THREADS>(far_mass, sh.wsum);
    if (tid == 0) { hcnt[NEAR_BINS] = far_cnt; hmass[NEAR_BINS] = far_mass; }
    __syncthreads();
}

// Turns the row's histogram into inclusive prefixes in place and brackets the cutoff between
// bins sh.s and sh.e; sh.acc_cnt / sh.acc_mass: what lies above the bracket, sh.n: its size.
template <int THREADS>
__device__ void bracket_cutoff(uint32_t* hcnt, ull* hmass, const RowParams& rp, Shared& sh) {
    const int tid = threadIdx.x;
    if (tid < 32) {
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
        const int bk = rp.k_on ? first_ge(hcnt, NB, (ull)rp.k) : NB - 1;
        int s0, e0;
        if (rp.p_on) {
            const ull mlo = rp.k_on ? (bk > 0 ? hmass[bk - 1] : 0ull) : total;
            s0 = min(first_ge(hmass, NB, top_p_target(rp.p, mlo)), bk);
            e0 = rp.k_on ? bk : s0;
        } else {
            s0 = e0 = bk;
        }
        sh.s = s0; sh.e = e0; sh.mtot = total;
        sh.acc_cnt = s0 > 0 ? hcnt[s0 - 1] : 0;
        sh.acc_mass = s0 > 0 ? hmass[s0 - 1] : 0;
        sh.n = hcnt[e0] - sh.acc_cnt;
    }
    __syncthreads();
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
        for_elements<THREADS>(x, V, vec_ok, 0, (V + 3) >> 2, m, inv_t, 0, 0, 0,
                              [&](int64_t i, float xv, float d, int b, int, auto&) {
                                  if (b >= s && b <= e) f(make_key(xv, (uint32_t)i), mass_of(rel_of(d)));
                              });
    }
};

// Folds element i (distance d from the max) into tb when min-p keeps it.
__device__ inline void gumbel_keep(Best& tb, const RowParams& rp, float d, int64_t i, const U4& rnd, int q) {
    if (!rp.mp_on || rel_of(d) >= rp.mp) tb = better(tb, Best{-d + gumbel(pick(rnd, q)), i});
}

// After the bracket is known: draws among those kept (bins above the
// bracket whole, the bracket up to the exact cutoff, min-p applied). From the copy spec[0..ns)
// when `spec_complete` and the bracket lies within it, else by a third pass over the row (or the
// radix select when the bracket does not fit in shared memory). Every thread gets the winner.
template <typename T, int THREADS>
__device__ Best draw_filtered(const T* x, int64_t V, bool vec_ok, const RowParams& rp, float m, uint64_t seed,
                              uint64_t offset, uint32_t row, const ull* spec, int ns, bool spec_complete, ull* cand,
                              ull* scan, Shared& sh) {
    const int tid = threadIdx.x;
    const float inv_t = rp.inv_t;
    const int s = sh.s, e = sh.e;
    const bool fits = sh.n <= CAP;
    const bool from_spec = spec_complete && e < SPEC_BINS;
    Best tb{-INFINITY, INT64_MAX};
    if (tid == 0) sh.ncand = 0;
    __syncthreads();
    if (from_spec) {
        for (int j = tid; j < ns; j += THREADS) {
            const ull key = spec[j];
            const uint32_t i = key_index(key);
            const float d = dist(m, key_value(key), inv_t);
            const int b = bin_of(d);
            if (b < s) gumbel_keep(tb, rp, d, i, philox_group(seed, offset, row, i >> 2), (int)(i & 3));
            else if (b <= e) cand[atomicAdd(&sh.ncand, 1)] = key;
        }
    } else if (fits) {
        for_elements<THREADS>(x, V, vec_ok, 0, (V + 3) >> 2, m, inv_t, seed, offset, row,
                              [&](int64_t i, float xv, float d, int b, int q, auto& noise) {
                                  if (b < s) {
                                      gumbel_keep(tb, rp, d, i, noise(), q);
                                  } else if (b <= e) {
                                      const int slot = atomicAdd(&sh.ncand, 1);
                                      if (slot < CAP) cand[slot] = make_key(xv, (uint32_t)i);
                                  }
                              });
    } else {
        // The bracket does not fit: exact radix select over it, then one more pass.
        const BracketSource<T, THREADS> src{x, V, vec_ok, m, inv_t, s, e};
        uint64_t cutoff = 0;
        ull kmass = sh.mtot;
        if (rp.k_on) {
            const SelResult r = block_radix_select<THREADS>(src, false, (ull)rp.k, sh.acc_cnt, sh.acc_mass, &sh.rs);
            cutoff = r.cutoff;
            kmass = r.mass;
        }
        if (rp.p_on) {
            const SelResult r = block_radix_select<THREADS>(src, true, top_p_target(rp.p, kmass), sh.acc_cnt,
                                                            sh.acc_mass, &sh.rs);
            cutoff = cutoff > r.cutoff ? cutoff : r.cutoff;
        }
        for_elements<THREADS>(x, V, vec_ok, 0, (V + 3) >> 2, m, inv_t, seed, offset, row,
                              [&](int64_t i, float xv, float d, int b, int q, auto& noise) {
                                  if (b < s || (b <= e && make_key(xv, (uint32_t)i) >= cutoff))
                                      gumbel_keep(tb, rp, d, i, noise(), q);
                              });
        return block_best<THREADS>(tb, sh.best);
    }
    __syncthreads();
    // The bracket's candidates: sort, prefix of masses, exact cutoff, draw among the kept.
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
        ull run = sh.acc_mass + block_excl_scan<THREADS>(local, sh.wsum, nullptr);
        for (int j = j0; j < j1; ++j) {
            run += mass_of(rel_of(dist(m, key_value(cand[j]), inv_t)));
            scan[j] = run;  // acc_mass + mass of sorted[0..j]
        }
        __syncthreads();
        if (tid == 0) {
            int cut = nc - 1;
            ull kmass = sh.mtot;
            if (rp.k_on) {
                cut = (int)min((int64_t)nc - 1, max((int64_t)0, rp.k - (int64_t)sh.acc_cnt - 1));
                kmass = scan[cut];
            }
            if (rp.p_on) cut = min(cut, first_ge(scan, cut + 1, top_p_target(rp.p, kmass)));
            sh.cut = cut;
        }
        __syncthreads();
        const int cut = sh.cut;
        for (int j = tid; j <= cut; j += THREADS) {
            const ull key = cand[j];
            const uint32_t i = key_index(key);
            gumbel_keep(tb, rp, dist(m, key_value(key), inv_t), i, philox_group(seed, offset, row, i >> 2), (int)(i & 3));
        }
    }
    return block_best<THREADS>(tb, sh.best);
}

// Sets an empty bracket (min-p-only rows: every element is a candidate for the min-p test).
__device__ inline void no_bracket(Shared& sh) {
    if (threadIdx.x == 0) { sh.s = NB; sh.e = NB; sh.n = 0; sh.acc_cnt = 0; sh.acc_mass = 0; sh.mtot = 0; }
    __syncthreads();
}

template <typename T>
__device__ inline void write_draw(const T* x, int64_t row, const Stat& st, int64_t token, int64_t* tokens,
                                  float* logprobs) {
    tokens[row] = token;
    logprobs[row] = (to_float(x[token]) - st.m) - logf(st.s);
}

template <typename T>
__device__ inline bool aligned4(const T* x) { return (reinterpret_cast<uintptr_t>(x) & (4 * sizeof(T) - 1)) == 0; }

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

// ---------------------------------------------------------------- S blocks per row

// Where one row's share of the workspace lies (the same arithmetic on host and device).
struct SplitLayout {
    int S;
    __host__ __device__ size_t stats() const { return 0; }                                     // Stat[S]
    __host__ __device__ size_t minp() const { return stats() + S * sizeof(Stat); }            // Best[S]
    __host__ __device__ size_t hmass() const { return minp() + S * sizeof(Best); }             // ull[NB]
    __host__ __device__ size_t hcnt() const { return hmass() + NB * sizeof(ull); }             // uint32[NB]
    __host__ __device__ size_t counters() const { return hcnt() + ((NB * 4 + 7) & ~7); }       // nspec, over
    __host__ __device__ size_t spec() const { return counters() + 8; }                         // ull[CAP]
    __host__ __device__ size_t row_bytes() const { return (spec() + CAP * sizeof(ull) + 255) & ~(size_t)255; }
};

struct RowWs {
    Stat* stats;
    Best* minp;
    ull* hmass;
    uint32_t* hcnt;
    int* nspec;
    int* over;
    ull* spec;
    __device__ RowWs(unsigned char* ws, int S, int64_t row) {
        const SplitLayout L{S};
        unsigned char* b = ws + (size_t)row * L.row_bytes();
        stats = reinterpret_cast<Stat*>(b + L.stats());
        minp = reinterpret_cast<Best*>(b + L.minp());
        hmass = reinterpret_cast<ull*>(b + L.hmass());
        hcnt = reinterpret_cast<uint32_t*>(b + L.hcnt());
        nspec = reinterpret_cast<int*>(b + L.counters());
        over = nspec + 1;
        spec = reinterpret_cast<ull*>(b + L.spec());
    }
};

// Block c of a row takes groups [g0, g1) of it.
__device__ inline void chunk_of(int64_t V, int S, int c, int64_t& g0, int64_t& g1) {
    const int64_t ng = (V + 3) >> 2, per = (ng + S - 1) / S;
    g0 = min(ng, (int64_t)c * per);
    g1 = min(ng, g0 + per);
}

// Pass 1 per chunk; also clears the row's histogram and counters for split_hist.
template <typename T, int THREADS>
__global__ void __launch_bounds__(THREADS)
split_stats(const SampleArgs<T> a) {
    __shared__ Shared sh;
    const int S = a.S;
    const int64_t row = blockIdx.x / S;
    const int c = (int)(blockIdx.x % S);
    const T* x = a.logits + row * a.stride;
    const RowParams rp = row_params(a.temperature, a.top_k, a.top_p, a.min_p, row, a.V);
    int64_t g0, g1;
    chunk_of(a.V, S, c, g0, g1);
    const Stat st = block_stats<T, THREADS>(x, a.V, aligned4(x), g0, g1, rp, a.seed, a.offset, (uint32_t)row, sh);
    const RowWs w(a.ws, S, row);
    if (threadIdx.x == 0) w.stats[c] = st;
    if (rp.bracketed()) {
        const int b0 = (int)((int64_t)NB * c / S), b1 = (int)((int64_t)NB * (c + 1) / S);
        for (int b = b0 + threadIdx.x; b < b1; b += THREADS) { w.hcnt[b] = 0; w.hmass[b] = 0; }
        if (c == 0 && threadIdx.x == 0) { *w.nspec = 0; *w.over = 0; }
    }
}

// The row's max from its chunks' statistics, in chunk order.
__device__ inline Stat merged_stats(const Stat* stats, int S) {
    Stat st = stats[0];
    for (int c = 1; c < S; ++c) merge_stat(st, stats[c]);
    return st;
}

// Pass 2 per chunk: top-k / top-p rows add their histogram and copy to the row's; min-p-only rows
// draw within the chunk.
template <typename T, int THREADS>
__global__ void __launch_bounds__(THREADS)
split_hist(const SampleArgs<T> a) {
    __shared__ Shared sh;
    RAFTJ_DYN_SMEM(dyn);
    ull* spec = reinterpret_cast<ull*>(dyn);  // [CAP]
    ull* hmass = spec + CAP;                  // [NB]
    uint32_t* hcnt = reinterpret_cast<uint32_t*>(hmass + NB);
    const int S = a.S;
    const int64_t row = blockIdx.x / S, V = a.V;
    const int c = (int)(blockIdx.x % S);
    const RowParams rp = row_params(a.temperature, a.top_k, a.top_p, a.min_p, row, a.V);
    if (rp.greedy || rp.plain) return;
    const T* x = a.logits + row * a.stride;
    const bool vec_ok = aligned4(x);
    const RowWs w(a.ws, S, row);
    int64_t g0, g1;
    chunk_of(V, S, c, g0, g1);
    if (threadIdx.x == 0) sh.stat = merged_stats(w.stats, S);
    __syncthreads();
    const float m = sh.stat.m;
    if (!rp.bracketed()) {
        Best tb{-INFINITY, INT64_MAX};
        for_elements<THREADS>(x, V, vec_ok, g0, g1, m, rp.inv_t, a.seed, a.offset, (uint32_t)row,
                              [&](int64_t i, float, float d, int, int q, auto& noise) {
                                  gumbel_keep(tb, rp, d, i, noise(), q);
                              });
        const Best b = block_best<THREADS>(tb, sh.best);
        if (threadIdx.x == 0) w.minp[c] = b;
        return;
    }
    block_histogram<T, THREADS>(x, V, vec_ok, g0, g1, m, rp.inv_t, hcnt, hmass, spec, sh);
    for (int b = threadIdx.x; b < NB; b += THREADS) {
        if (hcnt[b]) atomicAdd(&w.hcnt[b], hcnt[b]);
        if (hmass[b]) atomicAdd(&w.hmass[b], hmass[b]);
    }
    const int ns = sh.nspec;
    if (threadIdx.x == 0) {
        int base = CAP;
        if (sh.spec_over) *w.over = 1;
        else if (ns > 0) base = atomicAdd(w.nspec, ns);
        if (base + ns > CAP && ns > 0) *w.over = 1;
        sh.base = base;
    }
    __syncthreads();
    const int base = sh.base;
    if (base + ns <= CAP)
        for (int j = threadIdx.x; j < ns; j += THREADS) w.spec[base + j] = spec[j];
}

// One block per row: merges the chunks and draws (top-k / top-p rows from the row's histogram and
// copy, as sample_kernel does after its pass 2).
template <typename T, int THREADS>
__global__ void __launch_bounds__(THREADS, 1)
split_finish(const SampleArgs<T> a) {
    __shared__ Shared sh;
    RAFTJ_DYN_SMEM(dyn);
    ull* cand = reinterpret_cast<ull*>(dyn);
    ull* scan = cand + CAP;
    ull* spec = scan + CAP;
    ull* hmass = scan;
    uint32_t* hcnt = reinterpret_cast<uint32_t*>(scan + NB);
    const int S = a.S;
    const int64_t row = blockIdx.x;
    const T* x = a.logits + row * a.stride;
    const RowParams rp = row_params(a.temperature, a.top_k, a.top_p, a.min_p, row, a.V);
    const RowWs w(a.ws, S, row);
    if (threadIdx.x == 0) sh.stat = merged_stats(w.stats, S);
    __syncthreads();
    const Stat st = sh.stat;
    int64_t token = st.a < 0 ? 0 : st.a;
    if (rp.plain) {
        if (st.best.idx != INT64_MAX) token = st.best.idx;
    } else if (!rp.greedy && !rp.bracketed()) {
        Best b = w.minp[0];
        for (int c = 1; c < S; ++c) b = better(b, w.minp[c]);
        if (b.idx != INT64_MAX) token = b.idx;
    } else if (!rp.greedy) {
        for (int b = threadIdx.x; b < NB; b += THREADS) { hcnt[b] = w.hcnt[b]; hmass[b] = w.hmass[b]; }
        __syncthreads();
        bracket_cutoff<THREADS>(hcnt, hmass, rp, sh);
        const int ns = *w.nspec;
        const bool complete = !*w.over && ns <= CAP;
        if (complete && sh.e < SPEC_BINS)
            for (int j = threadIdx.x; j < ns; j += THREADS) spec[j] = w.spec[j];
        const Best b = draw_filtered<T, THREADS>(x, a.V, aligned4(x), rp, st.m, a.seed, a.offset, (uint32_t)row, spec,
                                                 ns, complete, cand, scan, sh);
        if (b.idx != INT64_MAX) token = b.idx;
    }
    if (threadIdx.x == 0) write_draw(x, row, st, token, a.tokens, a.logprobs);
}

int sm_count() {
    static int cached[64];
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || dev < 0) { cudaGetLastError(); return 0; }
    if (dev < 64 && cached[dev] > 0) return cached[dev];
    int n = 0;
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) { cudaGetLastError(); return 0; }
    if (dev < 64) cached[dev] = n;
    return n;
}

template <typename T, int THREADS>
int launch(const SampleArgs<T>& a, int64_t B, cudaStream_t stream) {
    const size_t smem = 3 * CAP * sizeof(ull);  // 96 KB
    if (a.S <= 1) {
        static bool ok[64];
        auto kernel = sample_kernel<T, THREADS>;
        const int st = allow_smem(kernel, smem, ok);
        if (st != RAFTJ_OK) return st;
        RAFTJ_LAUNCH(kernel, (unsigned)B, THREADS, smem, stream, a);
        return launch_status();
    }
    static bool ok_hist[64], ok_finish[64];
    const size_t hist_smem = CAP * sizeof(ull) + NB * (sizeof(ull) + sizeof(uint32_t));  // 50 KB
    auto stats = split_stats<T, THREADS>;
    auto hist = split_hist<T, THREADS>;
    auto finish = split_finish<T, THREADS>;
    int st = allow_smem(hist, hist_smem, ok_hist);
    if (st == RAFTJ_OK) st = allow_smem(finish, smem, ok_finish);
    if (st != RAFTJ_OK) return st;
    const unsigned blocks = (unsigned)(B * a.S);
    RAFTJ_LAUNCH(stats, blocks, THREADS, 0, stream, a);
    if ((st = launch_status()) != RAFTJ_OK) return st;
    if (a.top_k || a.top_p || a.min_p) {  // with no filter array no row needs pass 2
        RAFTJ_LAUNCH(hist, blocks, THREADS, hist_smem, stream, a);
        if ((st = launch_status()) != RAFTJ_OK) return st;
    }
    RAFTJ_LAUNCH(finish, (unsigned)B, THREADS, smem, stream, a);
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

}  // namespace
}  // namespace raftj

extern "C" int raftj_sample_splits(int64_t B, int64_t V) {
    using namespace raftj;
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
    if (!valid_sizes(B, V) || splits < 0 || splits > MAX_SPLITS) return -1;
    if (splits <= 1) return 0;
    return B * (int64_t)SplitLayout{splits}.row_bytes();
}

extern "C" int raftj_sample(const void* logits, int dtype, int64_t B, int64_t V, int64_t row_stride,
                            const float* temperature, const int64_t* top_k, const float* top_p,
                            const float* min_p, uint64_t seed, uint64_t offset, int64_t* tokens,
                            float* logprobs, int splits, void* workspace, int64_t workspace_bytes, void* stream) {
    using namespace raftj;
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

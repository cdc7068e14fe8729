// sample_row.cuh: the passes over one row that both sampling layouts share (see sampling.cu):
// decoded row parameters, pass 1 statistics, the pass 2 histogram and copy, the bracket of the
// cutoff, and the draw among the kept elements. Device code only, included by sampling.cu.
#pragma once

#include "common.cuh"

namespace raftj {
namespace sampling {

typedef unsigned long long ull;

constexpr int NEAR_BINS = 1536;  // d in [0, 24) in steps of 1/64
constexpr int NB = NEAR_BINS + 1;  // + one bin for d >= 24 (and -inf, NaN)
constexpr int CAP = 4096;  // bracket elements sorted in shared memory
constexpr int SPEC_BINS = 1024;  // bins of d < 16, copied aside during pass 2
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

// Merges (max, sum of exp, argmax) across the warp; every lane gets the result.
__device__ inline void warp_merge_stat(float& m, float& s, int64_t& a) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float om = __shfl_xor_sync(0xFFFFFFFFu, m, o);
        const float os = __shfl_xor_sync(0xFFFFFFFFu, s, o);
        const int64_t oa = __shfl_xor_sync(0xFFFFFFFFu, a, o);
        merge_stat(m, s, a, om, os, oa);
    }
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
    warp_merge_stat(tm, ts, ta);
    if ((tid & 31) == 0) { sh.wm[tid >> 5] = tm; sh.ws[tid >> 5] = ts; sh.wa[tid >> 5] = ta; }
    __syncthreads();
    if (tid < 32) {
        tm = -INFINITY; ts = 0.0f; ta = -1;
        if (tid < THREADS / 32) { tm = sh.wm[tid]; ts = sh.ws[tid]; ta = sh.wa[tid]; }
        warp_merge_stat(tm, ts, ta);
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

}  // namespace sampling
}  // namespace raftj

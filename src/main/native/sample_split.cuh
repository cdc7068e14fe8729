// sample_split.cuh: sampling's split path, S blocks per row for batches too small to fill the
// GPU: split_stats (pass 1 per chunk), split_hist (pass 2 per chunk, merged into the row's
// histogram and copy in the workspace) and split_finish (one block per row merges and draws).
// Included by sampling.cu.
#pragma once

#include "sample_row.cuh"

namespace raftj {
namespace sampling {

constexpr int MIN_CHUNK = 8192;  // elements per block of the split path, at least (one load round)
constexpr int MAX_SPLITS = 64;

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

// The split path's three launches (two when no row can be filtered).
template <typename T, int THREADS>
int launch_split(const SampleArgs<T>& a, int64_t B, size_t finish_smem, cudaStream_t stream) {
    static bool ok_hist[64], ok_finish[64];
    const size_t hist_smem = CAP * sizeof(ull) + NB * (sizeof(ull) + sizeof(uint32_t));  // 50 KB
    auto stats = split_stats<T, THREADS>;
    auto hist = split_hist<T, THREADS>;
    auto finish = split_finish<T, THREADS>;
    int st = allow_smem(hist, hist_smem, ok_hist);
    if (st == RAFTJ_OK) st = allow_smem(finish, finish_smem, ok_finish);
    if (st != RAFTJ_OK) return st;
    const unsigned blocks = (unsigned)(B * a.S);
    RAFTJ_LAUNCH(stats, blocks, THREADS, 0, stream, a);
    if ((st = launch_status()) != RAFTJ_OK) return st;
    if (a.top_k || a.top_p || a.min_p) {  // with no filter array no row needs pass 2
        RAFTJ_LAUNCH(hist, blocks, THREADS, hist_smem, stream, a);
        if ((st = launch_status()) != RAFTJ_OK) return st;
    }
    RAFTJ_LAUNCH(finish, (unsigned)B, THREADS, finish_smem, stream, a);
    return launch_status();
}

// Multiprocessors of the current device (cached per device); 0 without one.
inline int sm_count() {
    static int cached[64];
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || dev < 0) { cudaGetLastError(); return 0; }
    if (dev < 64 && cached[dev] > 0) return cached[dev];
    int n = 0;
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) { cudaGetLastError(); return 0; }
    if (dev < 64) cached[dev] = n;
    return n;
}

}  // namespace sampling
}  // namespace raftj

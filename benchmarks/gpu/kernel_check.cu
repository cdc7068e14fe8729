// kernel_check.cu: checks and times raftj's CUDA kernels with no framework (llm.c style).
// Device buffers come from the library's own raftj_malloc/memcpy; each kernel runs against a
// plain C++ reference beside it (|a - b| <= atol + rtol * |ref|, worst element printed), outputs
// are poisoned (0xFF bytes) before every run, sampling is checked token-for-token against a CPU
// replica (same Philox noise) and by total-variation distance over 10^6 draws, and each kernel is
// timed with CUDA events against the memory floor from a device-to-device copy in the same run.
//
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -Isrc/main/native \
//        benchmarks/gpu/kernel_check.cu src/main/native/*.cu -o kernel_check
//   ./kernel_check [--quick] [--no-bench] [--json FILE]     (JSON also to $OUT/kernel_check.json)
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common.cuh"
#include "raftj_kernels.h"

using std::string;
using std::vector;
typedef unsigned long long ull;

#define CK(call)                                                                                    \
    do {                                                                                            \
        int s_ = (call);                                                                            \
        if (s_ != 0) {                                                                              \
            fprintf(stderr, "%s:%d: %s -> %d (%s)\n", __FILE__, __LINE__, #call, s_, raftj_status_string(s_)); \
            exit(2);                                                                                \
        }                                                                                           \
    } while (0)

// ------------------------------------------------------------------ device buffers, our own calls

struct Buf {
    void* p = nullptr;
    size_t bytes = 0;
    explicit Buf(size_t n) : bytes(n) { CK(raftj_malloc(&p, n ? n : 1)); }
    ~Buf() { raftj_free(p); }
    Buf(const Buf&) = delete;
    template <typename T> T* as() const { return static_cast<T*>(p); }
    void poison() { CK(raftj_memset(p, 0xFF, bytes, nullptr)); }
};

template <typename T>
static void upload(Buf& b, const vector<T>& h) { CK(raftj_memcpy_h2d(b.p, h.data(), h.size() * sizeof(T))); }
template <typename T>
static vector<T> download(const Buf& b, size_t n) {
    CK(raftj_sync());
    vector<T> h(n);
    CK(raftj_memcpy_d2h(h.data(), b.p, n * sizeof(T)));
    return h;
}

static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7FFF + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}
static float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static vector<float> round_bf16(const vector<float>& x) {
    vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = from_bf16(to_bf16(x[i]));
    return y;
}
static vector<uint16_t> bits_bf16(const vector<float>& x) {
    vector<uint16_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = to_bf16(x[i]);
    return y;
}
// Logits on the device in the requested dtype.
static Buf* logits_buf(const vector<float>& x, bool bf16) {
    Buf* b = new Buf(x.size() * (bf16 ? 2 : 4));
    if (bf16) upload(*b, bits_bf16(x)); else upload(*b, x);
    return b;
}

// Workspace for raftj_sample with `splits` blocks per row (null when none is needed).
static Buf* sample_ws(int B, int V, int splits) {
    const int64_t bytes = raftj_sample_workspace_bytes(B, V, splits);
    if (bytes < 0) { fprintf(stderr, "raftj_sample_workspace_bytes(%d, %d, %d) = %ld\n", B, V, splits, (long)bytes); exit(2); }
    if (bytes == 0) return nullptr;
    Buf* w = new Buf((size_t)bytes);
    CK(raftj_memset(w->p, 0xA5, w->bytes, nullptr));  // the contract: no initialisation needed
    return w;
}

// ------------------------------------------------------------------ results

struct Check {
    string name;
    bool pass;
    string detail;
};
static vector<Check> g_checks;
#ifdef RAFTJ_EMULATE
static const bool g_emulated = true;  // CPU threads stand in for the GPU: small sizes, no TV or timing
#else
static const bool g_emulated = false;
#endif
static void report(const string& name, bool pass, const string& detail) {
    printf("%-58s %s  %s\n", name.c_str(), pass ? "PASS" : "FAIL", detail.c_str());
    fflush(stdout);
    g_checks.push_back({name, pass, detail});
}
static string fmt(const char* f, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

// |a - b| <= atol + rtol * |ref| over all elements; returns the worst element's description.
static bool close_all(const vector<float>& got, const vector<double>& ref, double atol, double rtol, string* worst) {
    long wi = -1;
    double wex = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double ex = std::fabs((double)got[i] - ref[i]) - (atol + rtol * std::fabs(ref[i]));
        if (!(ex <= 0) && (wi < 0 || !(ex <= wex))) { wi = (long)i; wex = ex; }
    }
    if (wi >= 0) *worst = fmt("worst [%ld]: got %.9g, ref %.9g", wi, got[wi], ref[wi]);
    else *worst = "";
    return wi < 0;
}

// ------------------------------------------------------------------ CPU references

struct RowParams {
    float t = 1.f;
    int64_t k = 0;
    float p = 1.f, minp = 0.f;
};

// Order: value descending, index ascending (the kernels' key order).
static vector<int> desc_order(const float* x, int V) {
    vector<int> o(V);
    std::iota(o.begin(), o.end(), 0);
    std::stable_sort(o.begin(), o.end(), [&](int a, int b) { return raftj::ord_of(x[a]) > raftj::ord_of(x[b]); });
    return o;
}

// The exact filtered distribution, in double.
static vector<double> exact_dist(const float* x, int V, const RowParams& rp) {
    vector<double> out(V, 0.0);
    vector<int> o = desc_order(x, V);
    if (!(rp.t > 0)) { out[o[0]] = 1; return out; }
    const double m = x[o[0]];
    vector<double> q(V);
    for (int i = 0; i < V; ++i) q[i] = std::exp(((double)x[i] - m) / rp.t);
    int keep = rp.k > 0 && rp.k < V ? (int)rp.k : V;
    double mk = 0;
    for (int j = 0; j < keep; ++j) mk += q[o[j]];
    if (rp.p < 1) {
        double cum = 0;
        int cut = 0;
        while (cut < keep && (cut == 0 || cum < rp.p * mk)) cum += q[o[cut++]];
        keep = cut;
    }
    double z = 0;
    for (int j = 0; j < keep; ++j) {
        const int i = o[j];
        if (rp.minp > 0 && q[i] < std::min(rp.minp, 1.f)) continue;
        out[i] = q[i];
        z += q[i];
    }
    for (double& v : out) v /= z;
    return out;
}

static double log_softmax_at(const float* x, int V, int i) {
    double m = -INFINITY, s = 0;
    for (int j = 0; j < V; ++j) m = std::max(m, (double)x[j]);
    for (int j = 0; j < V; ++j) s += std::exp((double)x[j] - m);
    return x[i] - m - std::log(s);
}

static float host_gumbel(uint32_t bits) {
    const float u = ((float)(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
    return -logf(-logf(u));
}

// A CPU replica of the kernel: same float distances, fixed-point masses, cutoffs and Philox
// Gumbel noise. Tokens should match the GPU's except for rare near-ties of float rounding.
static int64_t replica_sample(const float* x, int V, const RowParams& rp, uint64_t seed, uint64_t offset, uint32_t row) {
    vector<int> o = desc_order(x, V);
    const float m = x[o[0]];
    if (!(rp.t > 0)) return o[0];
    const float inv_t = 1.0f / rp.t;
    auto noise = [&](int i) { return host_gumbel(raftj::pick(raftj::philox_group(seed, offset, row, (uint32_t)i >> 2), i & 3)); };
    const bool k_on = rp.k > 0 && rp.k < V, p_on = rp.p < 1, mp_on = rp.minp > 0;
    const float mp = std::min(rp.minp, 1.0f);
    int64_t best = -1;
    float bs = -INFINITY;
    if (!k_on && !p_on && !mp_on) {
        for (int i = 0; i < V; ++i) {
            const float s = x[i] * inv_t + noise(i);
            if (s > bs) { bs = s; best = i; }
        }
        return best;
    }
    vector<float> d(V), rel(V);
    vector<ull> mass(V);
    for (int i = 0; i < V; ++i) {
        d[i] = (m - x[i]) * inv_t;
        rel[i] = expf(-d[i]);
        mass[i] = (ull)nearbyint((double)(rel[i] * 68719476736.0f));
    }
    int keep = k_on ? (int)rp.k : V;
    if (p_on) {
        ull mk = 0;
        for (int j = 0; j < keep; ++j) mk += mass[o[j]];
        double t = std::ceil((double)rp.p * (double)mk);
        ull tau = !(t >= 1.0) ? 1ull : (t >= (double)mk ? std::max(mk, 1ull) : (ull)t);
        ull cum = 0;
        int cut = 0;
        for (; cut < keep; ++cut) {
            cum += mass[o[cut]];
            if (cum >= tau) { ++cut; break; }
        }
        keep = std::min(keep, std::max(cut, 1));
    }
    for (int j = 0; j < keep; ++j) {
        const int i = o[j];
        if (mp_on && !(rel[i] >= mp)) continue;
        const float s = -d[i] + noise(i);
        if (s > bs || (s == bs && i < best)) { bs = s; best = i; }
    }
    return best;
}

static double tv_distance(const vector<int64_t>& tok, const vector<double>& p, bool* in_range) {
    vector<double> c(p.size(), 0);
    *in_range = true;
    for (int64_t t : tok) {
        if (t < 0 || t >= (int64_t)p.size()) { *in_range = false; continue; }
        c[t] += 1;
    }
    double d = 0;
    for (size_t i = 0; i < p.size(); ++i) d += std::fabs(c[i] / tok.size() - p[i]);
    return d / 2;
}
static double noise_tv(const vector<double>& p, double n) {
    double s = 0;
    for (double q : p) s += std::sqrt(q * (1 - q) / n);
    return 0.5 * std::sqrt(2 / M_PI) * s;
}

// ------------------------------------------------------------------ sampling checks

static std::mt19937_64 g_rng(20240601);
static vector<float> gaussian(size_t n, double scale) {
    std::normal_distribution<double> nd(0.0, scale);
    vector<float> x(n);
    for (auto& v : x) v = (float)nd(g_rng);
    return x;
}

static void check_sampling_replica(int V, bool bf16, int B) {
    // Rows of several kinds: gaussian, quantised (exact ties), flat (bracket overflow -> fallback).
    vector<float> x((size_t)B * V);
    vector<RowParams> rp(B);
    std::uniform_int_distribution<int> kind(0, 9);
    for (int r = 0; r < B; ++r) {
        vector<float> row = gaussian(V, 2.0);
        const int rk = r % 4;
        if (rk == 1) for (auto& v : row) v = std::round(v * 4) / 4;        // ties
        if (rk == 2 && r % 8 == 2) for (auto& v : row) v = 0.25f;           // all equal: bracket overflow
        if (rk == 3) for (auto& v : row) v *= 15;                            // wide: cutoffs past d = 24
        std::copy(row.begin(), row.end(), x.begin() + (size_t)r * V);
        RowParams& p = rp[r];
        switch (rk >= 2 ? (r / 4) % 10 : kind(g_rng)) {
            case 0: p.t = 0; break;
            case 1: p.t = 1; break;
            case 2: p.t = 0.7f; p.k = 50; break;
            case 3: p.t = 1.1f; p.p = 0.9f; break;
            case 4: p.t = 0.8f; p.minp = 0.05f; break;
            case 5: p.t = 1; p.k = 40; p.p = 0.8f; p.minp = 0.01f; break;
            case 6: p.t = 1; p.k = V / 3; break;                              // large k
            case 7: p.t = 0.5f; p.p = 0.99f; break;
            case 8: p.t = 1.3f; p.k = 1; break;
            default: p.t = 1; p.p = 0.3f; p.k = 7; break;
        }
    }
    vector<float> ref_x = bf16 ? round_bf16(x) : x;
    vector<float> t(B), pp(B), mp(B);
    vector<int64_t> k(B);
    for (int r = 0; r < B; ++r) { t[r] = rp[r].t; k[r] = rp[r].k; pp[r] = rp[r].p; mp[r] = rp[r].minp; }
    Buf* lx = logits_buf(x, bf16);
    Buf dt(4 * B), dk(8 * B), dp(4 * B), dm(4 * B), tok(8 * B), lp(4 * B);
    upload(dt, t); upload(dk, k); upload(dp, pp); upload(dm, mp);
    const uint64_t seed = 0x1234567890ABCDEFull, offset = 42;
    const char* dt_name = bf16 ? "bf16" : "fp32";
    vector<int64_t> rows_tok;
    vector<float> rows_lp;
    // splits 1: one block per row; then the split path, whose tokens must equal those exactly.
    for (int splits : {1, 3, g_emulated ? 7 : std::min(64, (V + 3) / 4 / 4)}) {
        Buf* ws = sample_ws(B, V, splits);
        vector<int64_t> first;
        for (int rep = 0; rep < 2; ++rep) {
            tok.poison(); lp.poison();
            CK(raftj_sample(lx->p, bf16 ? RAFTJ_BF16 : RAFTJ_F32, B, V, V, dt.as<float>(), dk.as<int64_t>(), dp.as<float>(),
                            dm.as<float>(), seed, offset, tok.as<int64_t>(), lp.as<float>(), splits, ws ? ws->p : nullptr,
                            ws ? (int64_t)ws->bytes : 0, nullptr));
            vector<int64_t> got = download<int64_t>(tok, B);
            vector<float> glp = download<float>(lp, B);
            if (rep == 1) {
                report(fmt("sample reproducible V=%d %s splits=%d", V, dt_name, splits), got == first, "");
                break;
            }
            first = got;
            if (splits > 1) {
                int diff = 0;
                string ex;
                for (int r = 0; r < B; ++r)
                    if (got[r] != rows_tok[r] && diff++ == 0) ex = fmt(" first: row %d got %ld, one block per row %ld", r, (long)got[r], (long)rows_tok[r]);
                string worst;
                const bool lp_ok = close_all(glp, vector<double>(rows_lp.begin(), rows_lp.end()), 1e-5, 1e-5, &worst);
                report(fmt("sample splits=%d = one block per row V=%d %s", splits, V, dt_name), diff == 0 && lp_ok,
                       fmt("%d/%d tokens differ%s %s", diff, B, ex.c_str(), worst.c_str()));
                continue;
            }
            rows_tok = got;
            rows_lp = glp;
            int mism = 0, greedy_mism = 0, bad = 0;
            string ex;
            vector<double> lref(B);
            for (int r = 0; r < B; ++r) {
                const float* row = &ref_x[(size_t)r * V];
                if (got[r] < 0 || got[r] >= V) { ++bad; continue; }
                const int64_t want = replica_sample(row, V, rp[r], seed, offset, (uint32_t)r);
                if (want != got[r]) {
                    ++mism;
                    if (!(rp[r].t > 0)) ++greedy_mism;
                    if (ex.empty()) ex = fmt(" first: row %d (t=%g k=%ld p=%g minp=%g) got %ld want %ld", r, rp[r].t, (long)rp[r].k, rp[r].p, rp[r].minp, (long)got[r], (long)want);
                }
                lref[r] = log_softmax_at(row, V, (int)got[r]);
            }
            string worst;
            const bool lp_ok = bad == 0 && close_all(glp, lref, 1e-4, 1e-5, &worst);
            report(fmt("sample = CPU replica (same Philox) V=%d %s B=%d", V, dt_name, B),
                   bad == 0 && greedy_mism == 0 && mism <= B / 200,
                   fmt("%d/%d rows differ (%d greedy), %d unwritten%s", mism, B, greedy_mism, bad, ex.c_str()));
            report(fmt("sample logprobs V=%d %s", V, dt_name), lp_ok, worst);
        }
        delete ws;
    }
    delete lx;
}

// The split path at its edges: 64 chunks of a short row (the last ones empty), every row kind,
// against one block per row.
static void check_split_edges(bool bf16) {
    const int B = 5, V = 1000, S = 64;
    vector<float> x = gaussian((size_t)B * V, 2.0);
    const vector<float> t = {0.f, 1.f, 0.7f, 0.8f, 1.f};
    const vector<int64_t> k = {0, 0, 50, 0, 40};
    const vector<float> p = {1.f, 1.f, 0.9f, 1.f, 0.8f}, mp = {0.f, 0.f, 0.f, 0.05f, 0.01f};
    Buf* lx = logits_buf(x, bf16);
    Buf dt(4 * B), dk(8 * B), dp(4 * B), dm(4 * B), tok(8 * B), lp(4 * B);
    upload(dt, t); upload(dk, k); upload(dp, p); upload(dm, mp);
    vector<int64_t> want;
    for (int splits : {1, S}) {
        Buf* ws = sample_ws(B, V, splits);
        tok.poison(); lp.poison();
        CK(raftj_sample(lx->p, bf16 ? RAFTJ_BF16 : RAFTJ_F32, B, V, V, dt.as<float>(), dk.as<int64_t>(), dp.as<float>(),
                        dm.as<float>(), 9, 1, tok.as<int64_t>(), lp.as<float>(), splits, ws ? ws->p : nullptr,
                        ws ? (int64_t)ws->bytes : 0, nullptr));
        vector<int64_t> got = download<int64_t>(tok, B);
        if (splits == 1) want = got;
        else report(fmt("sample splits=%d (empty chunks) = one block per row %s", S, bf16 ? "bf16" : "fp32"), got == want, "");
        delete ws;
    }
    delete lx;
}

static void check_sampling_tv(const string& name, const vector<float>& row, bool bf16, RowParams rp, int n) {
    const int V = (int)row.size();
    vector<float> ref_row = bf16 ? round_bf16(row) : row;
    vector<double> p = exact_dist(ref_row.data(), V, rp);
    const double noise = noise_tv(p, n);
    Buf* lx = logits_buf(row, bf16);
    vector<float> t(n, rp.t), pp(n, rp.p), mp(n, rp.minp);
    vector<int64_t> k(n, rp.k);
    Buf dt(4ull * n), dk(8ull * n), dp(4ull * n), dm(4ull * n), tok(8ull * n), lp(4ull * n);
    upload(dt, t); upload(dk, k); upload(dp, pp); upload(dm, mp);
    tok.poison(); lp.poison();
    // row_stride 0: one row broadcast to n rows, each with its own noise (counter row = r).
    CK(raftj_sample(lx->p, bf16 ? RAFTJ_BF16 : RAFTJ_F32, n, V, 0, dt.as<float>(), dk.as<int64_t>(), dp.as<float>(),
                    dm.as<float>(), 77, 5, tok.as<int64_t>(), lp.as<float>(), 1, nullptr, 0, nullptr));
    vector<int64_t> got = download<int64_t>(tok, n);
    bool in_range;
    const double d = tv_distance(got, p, &in_range);
    report("TV " + name, in_range && d <= 0.01, fmt("TV %.5f over %d draws (noise alone ~%.5f)%s", d, n, noise, in_range ? "" : ", unwritten tokens"));
    delete lx;
}

// ------------------------------------------------------------------ top-k checks

static float kl_key(const vector<float>& r, const vector<float>* lp, const vector<float>* lr, float beta, size_t i) {
    if (!lp) return r[i];
    volatile float diff = (*lp)[i] - (*lr)[i];  // volatile: no contraction into an FMA
    volatile float prod = beta * diff;
    return r[i] - prod;
}

static void check_segmented(int P, int K, int m, bool kl) {
    vector<float> r((size_t)P * K), lp(r.size()), lr(r.size());
    std::normal_distribution<double> nd;
    for (size_t i = 0; i < r.size(); ++i) {
        r[i] = (float)(std::round(nd(g_rng) * 4) / 4);
        lp[i] = (float)(-std::fabs(nd(g_rng)));
        lr[i] = (float)(-std::fabs(nd(g_rng)));
    }
    const float beta = 0.1f;
    Buf dr(4 * r.size()), dlp(4 * r.size()), dlr(4 * r.size()), vals(4ull * P * m), idx(8ull * P * m);
    upload(dr, r); upload(dlp, lp); upload(dlr, lr);
    vals.poison(); idx.poison();
    CK(raftj_segmented_topk(dr.as<float>(), kl ? dlp.as<float>() : nullptr, kl ? dlr.as<float>() : nullptr, beta, P, K, m,
                            vals.as<float>(), idx.as<int64_t>(), nullptr));
    vector<float> gv = download<float>(vals, (size_t)P * m);
    vector<int64_t> gi = download<int64_t>(idx, (size_t)P * m);
    int errors = 0;
    string ex;
    vector<float> key(K);
    for (int row = 0; row < P; ++row) {
        for (int j = 0; j < K; ++j) key[j] = kl_key(r, kl ? &lp : nullptr, &lr, beta, (size_t)row * K + j);
        vector<int> o = desc_order(key.data(), K);
        for (int j = 0; j < m; ++j) {
            const size_t at = (size_t)row * m + j;
            if (gi[at] != o[j] || gv[at] != key[o[j]]) {
                if (!errors++) ex = fmt(" first: row %d rank %d got (%ld, %g) want (%d, %g)", row, j, (long)gi[at], gv[at], o[j], key[o[j]]);
            }
        }
    }
    report(fmt("segmented top-m P=%d K=%d m=%d%s", P, K, m, kl ? " KL" : ""), errors == 0, fmt("%d mismatches%s", errors, ex.c_str()));
}

static void check_global(int N, int k, bool kl) {
    vector<float> r(N), lp(N), lr(N);
    std::normal_distribution<double> nd;
    std::uniform_int_distribution<int> five(0, 4);
    for (int i = 0; i < N; ++i) {
        r[i] = five(g_rng) == 0 ? 1.0f : (float)(std::round(nd(g_rng) * 8) / 8);
        lp[i] = (float)-std::fabs(nd(g_rng));
        lr[i] = (float)-std::fabs(nd(g_rng));
    }
    const int64_t ws_bytes = raftj_global_topk_workspace_bytes(N, k);
    Buf dr(4ull * N), dlp(4ull * N), dlr(4ull * N), ws(ws_bytes), vals(4ull * k), idx(8ull * k);
    upload(dr, r); upload(dlp, lp); upload(dlr, lr);
    vals.poison(); idx.poison(); ws.poison();
    CK(raftj_global_topk(dr.as<float>(), kl ? dlp.as<float>() : nullptr, kl ? dlr.as<float>() : nullptr, 0.5f, N, k,
                         vals.as<float>(), idx.as<int64_t>(), ws.p, ws_bytes, nullptr));
    vector<float> gv = download<float>(vals, k);
    vector<int64_t> gi = download<int64_t>(idx, k);
    vector<float> key(N);
    for (int i = 0; i < N; ++i) key[i] = kl_key(r, kl ? &lp : nullptr, &lr, 0.5f, i);
    vector<int> o = desc_order(key.data(), N);
    int errors = 0;
    string ex;
    for (int j = 0; j < k; ++j)
        if (gi[j] != o[j] || gv[j] != key[o[j]])
            if (!errors++) ex = fmt(" first: rank %d got (%ld, %g) want (%d, %g)", j, (long)gi[j], gv[j], o[j], key[o[j]]);
    report(fmt("global top-k N=%d k=%d%s", N, k, kl ? " KL" : ""), errors == 0, fmt("%d mismatches%s", errors, ex.c_str()));
}

// ------------------------------------------------------------------ reward head check

static void check_reward_head(int B, int T, int H, bool bf16) {
    vector<float> h = gaussian((size_t)B * T * H, 1.0), w = gaussian(H, 0.05);
    vector<int64_t> last(B);
    std::uniform_int_distribution<int> ut(0, T - 1);
    for (int b = 0; b < B; ++b) last[b] = b == 0 ? 0 : b == 1 ? T - 1 : ut(g_rng);
    last[B - 1] = T;  // out of range -> NaN
    vector<float> hr = bf16 ? round_bf16(h) : h, wr = bf16 ? round_bf16(w) : w;
    vector<double> ref(B - 1);
    for (int b = 0; b < B - 1; ++b) {
        double s = 0.25;
        for (int j = 0; j < H; ++j) s += (double)hr[((size_t)b * T + last[b]) * H + j] * wr[j];
        ref[b] = s;
    }
    Buf* dh = logits_buf(h, bf16);
    Buf* dw = logits_buf(w, bf16);
    Buf dl(8 * B), out(4 * B);
    upload(dl, last);
    out.poison();
    CK(raftj_reward_head(dh->p, bf16 ? RAFTJ_BF16 : RAFTJ_F32, B, T, H, (int64_t)T * H, H, dl.as<int64_t>(), dw->p, 0.25f,
                         out.as<float>(), nullptr));
    vector<float> got = download<float>(out, B);
    string worst;
    const bool ok = close_all(vector<float>(got.begin(), got.end() - 1), ref, 1e-4, 1e-4, &worst) && std::isnan(got[B - 1]);
    report(fmt("reward head B=%d T=%d H=%d %s", B, T, H, bf16 ? "bf16" : "fp32"), ok, worst + (std::isnan(got[B - 1]) ? "" : " bad index not NaN"));
    delete dh;
    delete dw;
}

// ------------------------------------------------------------------ timing

struct Timer {
    cudaEvent_t a, b;
    Timer() { cudaEventCreate(&a); cudaEventCreate(&b); }
    ~Timer() { cudaEventDestroy(a); cudaEventDestroy(b); }
    // Median over `reps` of the mean time of `iters` calls of f(i), in microseconds.
    template <typename F>
    double us(F f, int iters, int reps = 5) {
        for (int i = 0; i < 3; ++i) f(i);
        CK(raftj_sync());
        vector<double> t;
        for (int r = 0; r < reps; ++r) {
            cudaEventRecord(a, nullptr);
            for (int i = 0; i < iters; ++i) f(i);
            cudaEventRecord(b, nullptr);
            cudaEventSynchronize(b);
            float ms = 0;
            cudaEventElapsedTime(&ms, a, b);
            t.push_back(1000.0 * ms / iters);
        }
        CK(raftj_sync());
        std::sort(t.begin(), t.end());
        return t[t.size() / 2];
    }
};

static vector<string> g_bench;

// LM-like logits: a Zipf-shaped top (x = -1.5 ln(1 + rank)) under noise, ranks shuffled per row.
static vector<float> lm_logits(int rows, int V) {
    vector<float> x((size_t)rows * V);
    std::normal_distribution<double> nd(0, 0.3);
    vector<int> perm(V);
    std::iota(perm.begin(), perm.end(), 0);
    for (int r = 0; r < rows; ++r) {
        std::shuffle(perm.begin(), perm.end(), g_rng);
        for (int i = 0; i < V; ++i) x[(size_t)r * V + perm[i]] = (float)(8.0 - 1.5 * std::log1p((double)i) + nd(g_rng));
    }
    return x;
}

static double copy_bandwidth(Timer& tm) {
    const size_t bytes = 512ull << 20;
    Buf a(bytes), b(bytes);
    CK(raftj_memset(a.p, 1, bytes, nullptr));
    const double us = tm.us([&](int) { CK(raftj_memcpy_d2d(b.p, a.p, bytes, nullptr)); }, 10);
    return 2.0 * bytes / (us * 1e-6) / 1e9;  // GB/s, read + write
}

static void bench_sampling(Timer& tm, double bw, bool quick) {
    const int Bs[] = {1, 32, 128, 512};
    const int Vs[] = {32000, 128256};
    printf("\n%-6s %-7s %-5s %-9s %6s %10s %10s %8s\n", "B", "V", "dtype", "mode", "splits", "us", "floor_us", "x_floor");
    for (int V : Vs) {
        const int pool = 64;
        vector<float> base = lm_logits(pool, V);
        for (int B : Bs) {
            if (quick && (B == 128)) continue;
            for (int bf : {0, 1}) {
                const size_t es = bf ? 2 : 4, set_bytes = (size_t)B * V * es;
                // Rotate input sets so repeated calls do not run from L2 (>= 256 MB in all, at most 16 sets).
                const int sets = (int)std::min<size_t>(16, std::max<size_t>(1, (256ull << 20) / set_bytes));
                vector<Buf*> bufs;
                vector<float> x((size_t)B * V);
                for (int s = 0; s < sets; ++s) {
                    for (int r = 0; r < B; ++r)
                        std::copy(base.begin() + (size_t)((r + s * 7) % pool) * V, base.begin() + (size_t)((r + s * 7) % pool + 1) * V,
                                  x.begin() + (size_t)r * V);
                    bufs.push_back(logits_buf(x, bf));
                }
                Buf tok(8 * B), lp(4 * B), dt(4 * B), dk(8 * B), dp(4 * B);
                // The dispatcher's choice (raftj_sample_splits) and, when it splits, one block per row beside it.
                const int auto_splits = raftj_sample_splits(B, V);
                Buf* ws = sample_ws(B, V, auto_splits);
                for (int mode = 0; mode < 3; ++mode) {
                    // 0 plain (T=1, no filter: one pass), 1 filtered (T=0.7, top-k 50, top-p 0.9), 2 greedy
                    const char* mname = mode == 0 ? "plain" : mode == 1 ? "topk_topp" : "greedy";
                    upload(dt, vector<float>(B, mode == 2 ? 0.f : mode == 1 ? 0.7f : 1.f));
                    upload(dk, vector<int64_t>(B, mode == 1 ? 50 : 0));
                    upload(dp, vector<float>(B, mode == 1 ? 0.9f : 1.f));
                    for (int splits : {auto_splits, 1}) {
                        const double us = tm.us([&](int i) {
                            CK(raftj_sample(bufs[i % sets]->p, bf ? RAFTJ_BF16 : RAFTJ_F32, B, V, V, dt.as<float>(),
                                            mode == 1 ? dk.as<int64_t>() : nullptr, mode == 1 ? dp.as<float>() : nullptr,
                                            nullptr, 1, i, tok.as<int64_t>(), lp.as<float>(), splits,
                                            splits > 1 ? ws->p : nullptr, splits > 1 ? (int64_t)ws->bytes : 0, nullptr));
                        }, std::max(3, std::min(200, (int)(2e8 / set_bytes))));
                        const double floor_us = (double)set_bytes / (bw * 1e3);  // one read of the logits
                        const double floor4_us = 4.0 * B * V / (bw * 1e3);     // the issue's 4*B*V bytes
                        printf("%-6d %-7d %-5s %-9s %6d %10.2f %10.2f %8.2f\n", B, V, bf ? "bf16" : "fp32", mname, splits, us,
                               floor_us, us / floor_us);
                        g_bench.push_back(fmt("{\"kind\":\"sampling\",\"B\":%d,\"V\":%d,\"dtype\":\"%s\",\"mode\":\"%s\",\"splits\":%d,"
                                              "\"chosen\":%s,\"us\":%.3f,\"floor_us\":%.3f,\"floor4_us\":%.3f,\"l2_resident\":%s}",
                                              B, V, bf ? "bf16" : "fp32", mname, splits, splits == auto_splits ? "true" : "false", us,
                                              floor_us, floor4_us, sets * set_bytes < (100ull << 20) ? "true" : "false"));
                        if (auto_splits == 1) break;
                    }
                }
                delete ws;
                for (Buf* b : bufs) delete b;
            }
        }
    }
}

static void bench_topk(Timer& tm, double bw) {
    printf("\n%-6s %-5s %-3s %-3s %10s %10s\n", "P", "K", "m", "KL", "us", "floor_us");
    for (int P : {512, 4096}) {
        for (int K : {8, 16, 64}) {
            for (int kl : {0, 1}) {
                const int m = 1;
                const int sets = 8;
                vector<Buf*> r, lp, lr;
                for (int s = 0; s < sets; ++s) {
                    r.push_back(new Buf(4ull * P * K)); lp.push_back(new Buf(4ull * P * K)); lr.push_back(new Buf(4ull * P * K));
                    upload(*r.back(), gaussian((size_t)P * K, 1)); upload(*lp.back(), gaussian((size_t)P * K, 1));
                    upload(*lr.back(), gaussian((size_t)P * K, 1));
                }
                Buf vals(4ull * P * m), idx(8ull * P * m);
                const double us = tm.us([&](int i) {
                    CK(raftj_segmented_topk(r[i % sets]->as<float>(), kl ? lp[i % sets]->as<float>() : nullptr,
                                            kl ? lr[i % sets]->as<float>() : nullptr, 0.1f, P, K, m, vals.as<float>(),
                                            idx.as<int64_t>(), nullptr));
                }, 200);
                const double floor_us = (double)P * K * 4 * (kl ? 3 : 1) / (bw * 1e3);
                printf("%-6d %-5d %-3d %-3d %10.2f %10.3f\n", P, K, m, kl, us, floor_us);
                g_bench.push_back(fmt("{\"kind\":\"segmented_topk\",\"P\":%d,\"K\":%d,\"m\":%d,\"kl\":%d,\"us\":%.3f,\"floor_us\":%.4f}",
                                      P, K, m, kl, us, floor_us));
                for (int s = 0; s < sets; ++s) { delete r[s]; delete lp[s]; delete lr[s]; }
            }
        }
    }
    for (int kl : {0, 1}) {
        const int N = 65536, k = 2048;
        Buf r(4 * N), lp(4 * N), lr(4 * N), vals(4 * k), idx(8 * k);
        upload(r, gaussian(N, 1)); upload(lp, gaussian(N, 1)); upload(lr, gaussian(N, 1));
        const int64_t wsb = raftj_global_topk_workspace_bytes(N, k);
        Buf ws(wsb);
        const double us = tm.us([&](int) {
            CK(raftj_global_topk(r.as<float>(), kl ? lp.as<float>() : nullptr, kl ? lr.as<float>() : nullptr, 0.1f, N, k,
                                 vals.as<float>(), idx.as<int64_t>(), ws.p, wsb, nullptr));
        }, 50);
        printf("global top-k N=%d k=%d KL=%d: %.2f us\n", N, k, kl, us);
        g_bench.push_back(fmt("{\"kind\":\"global_topk\",\"N\":%d,\"k\":%d,\"kl\":%d,\"us\":%.3f}", N, k, kl, us));
    }
}

static void bench_reward_head(Timer& tm, double bw) {
    printf("\n%-5s %-5s %-5s %-5s %10s %10s\n", "B", "T", "H", "dtype", "us", "floor_us");
    for (int B : {64, 512}) {
        for (int bf : {0, 1}) {
            const int T = 256, H = 4096;
            const size_t es = bf ? 2 : 4;
            Buf h((size_t)B * T * H * es), w(H * es), last(8 * B), out(4 * B);
            CK(raftj_memset(h.p, 0x3C, h.bytes, nullptr));
            CK(raftj_memset(w.p, 0x3C, w.bytes, nullptr));
            vector<int64_t> l(B);
            for (int b = 0; b < B; ++b) l[b] = (b * 37) % T;
            upload(last, l);
            const double us = tm.us([&](int) {
                CK(raftj_reward_head(h.p, bf ? RAFTJ_BF16 : RAFTJ_F32, B, T, H, (int64_t)T * H, H, last.as<int64_t>(), w.p,
                                     0.f, out.as<float>(), nullptr));
            }, 200);
            const double floor_us = (double)(B + 1) * H * es / (bw * 1e3);
            printf("%-5d %-5d %-5d %-5s %10.2f %10.3f\n", B, T, H, bf ? "bf16" : "fp32", us, floor_us);
            g_bench.push_back(fmt("{\"kind\":\"reward_head\",\"B\":%d,\"T\":%d,\"H\":%d,\"dtype\":\"%s\",\"us\":%.3f,\"floor_us\":%.4f}",
                                  B, T, H, bf ? "bf16" : "fp32", us, floor_us));
        }
    }
}

// ------------------------------------------------------------------ main

static bool philox_kat() {
    // Random123's known-answer vectors for philox4x32-10.
    const raftj::U4 a = raftj::philox4x32_10({0, 0, 0, 0}, 0, 0);
    const raftj::U4 b = raftj::philox4x32_10({~0u, ~0u, ~0u, ~0u}, ~0u, ~0u);
    const raftj::U4 c = raftj::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0);
    return a.x == 0x6627e8d5 && a.y == 0xe169c58d && a.z == 0xbc57ac4c && a.w == 0x9b00dbd8 &&
           b.x == 0x408f276d && b.y == 0x41c83b0e && b.z == 0xa20bc7c6 && b.w == 0x6d5451fd &&
           c.x == 0xd16cfe09 && c.y == 0x94fdcceb && c.z == 0x5001e420 && c.w == 0x24126ea1;
}

int main(int argc, char** argv) {
    bool quick = false, bench = true;
    string json_path;
    if (const char* out = getenv("OUT")) json_path = string(out) + "/kernel_check.json";
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--quick")) quick = true;
        else if (!strcmp(argv[i], "--no-bench")) bench = false;
        else if (!strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    }
    const bool emu = g_emulated;
    if (emu) bench = false;
    report("philox4x32-10 known answers (host)", philox_kat(), "");
    const int ndev = raftj_device_count();
    if (ndev == 0) {
        printf("no CUDA device: only the host checks ran\n");
        return g_checks.back().pass ? 0 : 1;
    }
    cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    printf("device: %s, %d SMs, %.0f MB L2\n\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize / 1048576.0);

    for (int V : {1000, emu ? 6000 : 32000}) for (int bf : {0, 1}) check_sampling_replica(V, bf, emu ? 40 : quick ? 128 : 512);
    for (int bf : {0, 1}) check_split_edges(bf);
    const int n = 1000000;
    if (!emu) {
        vector<float> x = gaussian(1000, 2.0), peaked = gaussian(32000, 3.0);
        check_sampling_tv("top-k 50 T=0.8", x, false, {0.8f, 50, 1.f, 0.f}, n);
        check_sampling_tv("top-p 0.9 T=0.7", x, false, {0.7f, 0, 0.9f, 0.f}, n);
        check_sampling_tv("min-p 0.05 T=0.9", x, false, {0.9f, 0, 1.f, 0.05f}, n);
        check_sampling_tv("top-k 100 top-p 0.8 min-p 0.01", x, false, {1.f, 100, 0.8f, 0.01f}, n);
        check_sampling_tv("bf16 top-k 40 top-p 0.95 T=0.8", x, true, {0.8f, 40, 0.95f, 0.f}, n);
        check_sampling_tv("plain T=1 V=32000 (one pass)", peaked, false, {1.f, 0, 1.f, 0.f}, n);
        check_sampling_tv("bf16 plain T=0.9 V=32000", peaked, true, {0.9f, 0, 1.f, 0.f}, n);
        check_sampling_tv("V=32000 top-k 64 top-p 0.9", peaked, false, {1.f, 64, 0.9f, 0.f}, n);
        check_sampling_tv("ties V=2000 top-k 10 (shared memory)", vector<float>(2000, 0.5f), false, {1.f, 10, 1.f, 0.f}, n);
        check_sampling_tv("ties V=20000 top-k 10 (radix fallback)", vector<float>(20000, 0.5f), false, {1.f, 10, 1.f, 0.f}, n);
        check_sampling_tv("ties V=5000 top-p 0.01 (radix fallback)", vector<float>(5000, -1.f), false, {1.f, 0, 0.01f, 0.f}, n);
        check_sampling_tv("greedy", x, true, {0.f, 0, 1.f, 0.f}, 10000);
    }
    const int shapes[][3] = {{64, 8, 1}, {100, 16, 4}, {50, 17, 17}, {33, 64, 8}, {7, 300, 20}, {5, 1024, 1024}, {4096, 16, 1}, {4096, 64, 1}};
    for (auto& s : shapes) for (int kl : {0, 1}) check_segmented(s[0], s[1], s[2], kl);
    for (int kl : {0, 1}) {
        check_global(1000, 1, kl);
        check_global(1000, 37, kl);
        check_global(65536, 2048, kl);
        check_global(70000, 9000, kl);
    }
    for (int H : {4096, 1001}) for (int bf : {0, 1}) check_reward_head(16, 33, H, bf);  // 1001: scalar path

    double bw = 0;
    if (bench) {
        Timer tm;
        bw = copy_bandwidth(tm);
        printf("\ndevice-to-device copy: %.0f GB/s (read + write)\n", bw);
        bench_sampling(tm, bw, quick);
        bench_topk(tm, bw);
        bench_reward_head(tm, bw);
    }
    int failed = 0;
    for (auto& c : g_checks) failed += !c.pass;
    printf("\nkernel_check: %zu checks, %d failed\n", g_checks.size(), failed);
    if (!json_path.empty()) {
        FILE* f = fopen((json_path + ".tmp").c_str(), "w");
        if (f) {
            fprintf(f, "{\"device\":\"%s\",\"sms\":%d,\"copy_GBps\":%.1f,\"checks\":[", prop.name, prop.multiProcessorCount, bw);
            for (size_t i = 0; i < g_checks.size(); ++i) {
                string d = g_checks[i].detail;
                for (char& ch : d) if (ch == '"' || ch == '\\') ch = '\'';
                fprintf(f, "%s{\"name\":\"%s\",\"pass\":%s,\"detail\":\"%s\"}", i ? "," : "", g_checks[i].name.c_str(),
                        g_checks[i].pass ? "true" : "false", d.c_str());
            }
            fprintf(f, "],\"bench\":[");
            for (size_t i = 0; i < g_bench.size(); ++i) fprintf(f, "%s%s", i ? "," : "", g_bench[i].c_str());
            fprintf(f, "]}\n");
            fclose(f);
            rename((json_path + ".tmp").c_str(), json_path.c_str());
        }
    }
    return failed ? 1 : 0;
}

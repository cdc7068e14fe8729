// Decoding's attention on the CPU (raftj_cpu.h): for each (row, head), one pass over its cached
// keys for the scores and one over its values for the output, nothing else written. LibTorch's
// CPU ops either make two tiny BLAS calls per (row, head) (SDPA, bmm) or write and re-read
// [rows, heads, keys, dim] temporaries (broadcast multiply + sum); the reference in LibTorch ops
// is DecodeAttention.reference, and OneQueryAttentionTest compares the two with SDPA.
#include "raftj_cpu.h"
#include "exp_nonpositive.h"
#include "lane_sums.h"

#include <cmath>
#include <cstring>
#include <vector>

// The 32-byte vectors below pass only between always-inline helpers, never across a call, so GCC's
// note that their ABI differs with and without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

// Eight floats as one value: GCC's vector extension, one AVX register in the AVX2 clone below and
// two SSE registers in the default one. Unaligned loads and stores through memcpy.
typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

__attribute__((always_inline)) inline v8 load8(const float* p) {
  v8 r;
  std::memcpy(&r, p, sizeof r);
  return r;
}

// AVX's hadd: the pairwise sums of a's lanes and of b's, 128-bit half by half.
__attribute__((always_inline)) inline v8 hadd(const v8& a, const v8& b) {
  return __builtin_shuffle(a, b, v8i{0, 2, 8, 10, 4, 6, 12, 14}) + __builtin_shuffle(a, b, v8i{1, 3, 9, 11, 5, 7, 13, 15});
}

// Lane k of the result: ((a_k0 + a_k1) + (a_k2 + a_k3)) + ((a_k4 + a_k5) + (a_k6 + a_k7)), lane_sums.h's tree.
__attribute__((always_inline)) inline v8 reduce8(const v8* a) {
  const v8 lo = hadd(hadd(a[0], a[1]), hadd(a[2], a[3])), hi = hadd(hadd(a[4], a[5]), hadd(a[6], a[7]));
  return __builtin_shuffle(lo, hi, v8i{0, 1, 2, 3, 8, 9, 10, 11}) + __builtin_shuffle(lo, hi, v8i{4, 5, 6, 7, 12, 13, 14, 15});
}

// One (row, head) pair's attention with a head dimension fixed at compile time, on whole vectors:
// the query and the output accumulator stay in registers, and eight keys' dot products are reduced
// together. The sums run in the generic loop's order (dot: lane l sums elements l, l + 8, ..., then
// lane_sums.h's tree over the lanes; the weights' sum: sum8; values: key by key), so both give the same
// floats up to the fused multiply-adds the AVX2 clone may use.
template <int D>
__attribute__((always_inline)) inline void attend_pair_fixed(const float* __restrict qp, const float* __restrict kp,
                                                             const float* __restrict vp, const uint8_t* __restrict seen,
                                                             float* __restrict o, float* __restrict weights, int keys,
                                                             int64_t k_key, int64_t v_key, float scale) {
  constexpr int N = D / 8;
  v8 qv[N];
  for (int i = 0; i < N; i++) qv[i] = load8(qp + 8 * i);
  float max = -INFINITY;
  int j = 0;
  for (; j + 8 <= keys; j += 8) {
    v8 acc[8];
    for (int l = 0; l < 8; l++) {
      const float* kj = kp + (j + l) * k_key;
      acc[l] = qv[0] * load8(kj);
      for (int i = 1; i < N; i++) acc[l] += qv[i] * load8(kj + 8 * i);
    }
    v8 s = reduce8(acc) * scale;
    for (int l = 0; l < 8; l++) {
      if (!seen[j + l]) s[l] = -INFINITY;
      max = s[l] > max ? s[l] : max;
    }
    std::memcpy(weights + j, &s, sizeof s);
  }
  for (; j < keys; j++) {
    if (!seen[j]) {
      weights[j] = -INFINITY;
      continue;
    }
    const float* kj = kp + j * k_key;
    v8 acc = qv[0] * load8(kj);
    for (int i = 1; i < N; i++) acc += qv[i] * load8(kj + 8 * i);
    const float s = (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))) * scale;  // tree8
    weights[j] = s;
    if (s > max) max = s;
  }
  for (int k = 0; k < keys; k++) weights[k] = raftj::exp_nonpositive(weights[k] - max);  // masked: e^-inf = 0
  const float sum = raftj::sum8(weights, keys);
  v8 acc[N];
  for (int i = 0; i < N; i++) acc[i] = v8{0, 0, 0, 0, 0, 0, 0, 0};
  for (int k = 0; k < keys; k++) {
    const float w = weights[k];
    if (w == 0.0f) continue;
    const float* vk = vp + k * v_key;
    for (int i = 0; i < N; i++) acc[i] += w * load8(vk + 8 * i);
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < N; i++) {
    const v8 r = acc[i] * inv;
    std::memcpy(o + 8 * i, &r, sizeof r);
  }
}

// Built twice, for AVX2 + FMA and for any x86-64; the loader picks one for the machine (ifunc).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void attend_range(const float* q, const float* k, const float* v, const uint8_t* visible, float* out,
                  int heads, int kv_heads, int keys, int dim, int64_t k_row, int64_t k_head, int64_t k_key,
                  int64_t v_row, int64_t v_head, int64_t v_key, float scale, int64_t from, int64_t to) {
  const int group = heads / kv_heads;
  std::vector<float> weights(keys), acc(dim);
  for (int64_t p = from; p < to; p++) {
    const int64_t row = p / heads;
    const int head = static_cast<int>(p % heads), kv = head / group;
    const float* qp = q + p * dim;
    const float* kp = k + row * k_row + kv * k_head;
    const float* vp = v + row * v_row + kv * v_head;
    const uint8_t* seen = visible + row * keys;
    float* o = out + p * dim;
    switch (dim) {  // the head sizes of GPT-2 (64), Llama (64, 128) and the tiny test models (16, 32)
      case 16: attend_pair_fixed<16>(qp, kp, vp, seen, o, weights.data(), keys, k_key, v_key, scale); continue;
      case 32: attend_pair_fixed<32>(qp, kp, vp, seen, o, weights.data(), keys, k_key, v_key, scale); continue;
      case 64: attend_pair_fixed<64>(qp, kp, vp, seen, o, weights.data(), keys, k_key, v_key, scale); continue;
      case 128: attend_pair_fixed<128>(qp, kp, vp, seen, o, weights.data(), keys, k_key, v_key, scale); continue;
      default: break;
    }
    float max = -INFINITY;
    for (int j = 0; j < keys; j++) {
      if (!seen[j]) {
        weights[j] = -INFINITY;
        continue;
      }
      float s = raftj::dot8(qp, kp + j * k_key, dim) * scale;
      weights[j] = s;
      if (s > max) max = s;
    }
    for (int j = 0; j < keys; j++) weights[j] = raftj::exp_nonpositive(weights[j] - max);  // masked: e^-inf = 0
    const float sum = raftj::sum8(weights.data(), keys);
    for (int x = 0; x < dim; x++) acc[x] = 0;
    for (int j = 0; j < keys; j++) {
      const float w = weights[j];
      if (w == 0.0f) continue;
      const float* vj = vp + j * v_key;
      for (int x = 0; x < dim; x++) acc[x] += w * vj[x];
    }
    const float inv = 1.0f / sum;
    for (int x = 0; x < dim; x++) o[x] = acc[x] * inv;
  }
}

}  // namespace

extern "C" int raftj_cpu_decode_attention(const float* q, const float* k, const float* v, const uint8_t* visible,
                                          float* out, int heads, int kv_heads, int keys, int dim, int64_t k_row,
                                          int64_t k_head, int64_t k_key, int64_t v_row, int64_t v_head,
                                          int64_t v_key, float scale, int64_t from, int64_t to) {
  if (!q || !k || !v || !visible || !out || heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0 || keys <= 0 ||
      dim <= 0 || from < 0 || to < from) {
    return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  }
  attend_range(q, k, v, visible, out, heads, kv_heads, keys, dim, k_row, k_head, k_key, v_row, v_head, v_key,
               scale, from, to);
  return RAFTJ_CPU_OK;
}

// Decoding's attention on the CPU (raftj_cpu.h): for each (row, head), one pass over its cached
// keys for the scores and one over its values for the output, nothing else written. LibTorch's
// CPU ops either make two tiny BLAS calls per (row, head) (SDPA, bmm) or write and re-read
// [rows, heads, keys, dim] temporaries (broadcast multiply + sum); the reference in LibTorch ops
// is DecodeAttention.reference, and OneQueryAttentionTest compares the two with SDPA.
#include "raftj_cpu.h"
#include "exp_nonpositive.h"

#include <cmath>
#include <vector>

namespace {

// Eight partial sums, one per lane of an AVX2 register: the compiler vectorizes this without
// reassociating anything itself, so the summation order is the one written here (the AVX2 clone
// may still fuse a multiply and an add, which the tests' tolerances allow for).
inline float dot(const float* a, const float* b, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int x = 0;
  for (; x + 8 <= n; x += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[x + l] * b[x + l];
  for (; x < n; x++) acc[0] += a[x] * b[x];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
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
    float max = -INFINITY;
    for (int j = 0; j < keys; j++) {
      if (!seen[j]) {
        weights[j] = -INFINITY;
        continue;
      }
      float s = dot(qp, kp + j * k_key, dim) * scale;
      weights[j] = s;
      if (s > max) max = s;
    }
    for (int j = 0; j < keys; j++) weights[j] = raftj::exp_nonpositive(weights[j] - max);  // masked: e^-inf = 0
    float sum = 0;
    for (int j = 0; j < keys; j++) sum += weights[j];
    for (int x = 0; x < dim; x++) acc[x] = 0;
    for (int j = 0; j < keys; j++) {
      const float w = weights[j];
      if (w == 0.0f) continue;
      const float* vj = vp + j * v_key;
      for (int x = 0; x < dim; x++) acc[x] += w * vj[x];
    }
    const float inv = 1.0f / sum;
    float* o = out + p * dim;
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

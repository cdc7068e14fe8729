// Activations for forwards without a gradient (raftj_cpu.h): GPT-2's tanh GELU and Llama's
// SiLU(gate) * up, one pass each. This LibTorch build's CPU tanh takes ~6.5 ns an element and its
// exp ~1.7 ns (benchmarks: OpBench in the notes), so GELU alone was ~10% of a tiny decode step;
// here both are one sigmoid built on exp_nonpositive, which vectorizes. Activations.reference in
// Java is the LibTorch formula; ActivationsTest compares them.
#include "raftj_cpu.h"
#include "exp_nonpositive.h"

namespace {

// 1 / (1 + e^-x) without a branch: with e = e^-|x| <= 1, it is 1 / (1 + e) for x >= 0 and
// e / (1 + e) for x < 0.
inline float sigmoid(float x) {
  const float e = raftj::exp_nonpositive(x < 0.0f ? x : -x);
  const float numerator = x < 0.0f ? e : 1.0f;
  return numerator / (1.0f + e);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void gelu_tanh_range(const float* x, float* out, int64_t from, int64_t to) {
  // 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2 / pi) (x + 0.044715 x^3)
  for (int64_t i = from; i < to; i++) {
    const float v = x[i];
    const float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
    out[i] = v * sigmoid(2.0f * u);
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void silu_mul_range(const float* gate, const float* up, float* out, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; i++) {
    const float g = gate[i];
    out[i] = g * sigmoid(g) * up[i];
  }
}

}  // namespace

extern "C" int raftj_cpu_gelu_tanh(const float* x, float* out, int64_t from, int64_t to) {
  if (!x || !out || from < 0 || to < from) return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  gelu_tanh_range(x, out, from, to);
  return RAFTJ_CPU_OK;
}

extern "C" int raftj_cpu_silu_mul(const float* gate, const float* up, float* out, int64_t from, int64_t to) {
  if (!gate || !up || !out || from < 0 || to < from) return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  silu_mul_range(gate, up, out, from, to);
  return RAFTJ_CPU_OK;
}

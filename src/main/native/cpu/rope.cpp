// Rotary position embedding for forwards without a gradient (raftj_cpu.h), HF's rotate_half form:
// out = x * cos + [-x2, x1] * sin. In LibTorch ops that is six ops (two narrows, neg, cat, two
// muls, add) for q and six for k in every Llama layer of every decode step.
#include "raftj_cpu.h"

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void rope_rows(const float* x, int64_t x_b, int64_t x_h, int64_t x_t, const float* cos, const float* sin, float* out,
               int64_t heads, int64_t positions, int64_t dim, int64_t from, int64_t to) {
  const int64_t half = dim / 2;
  for (int64_t r = from; r < to; r++) {  // r = (b * heads + h) * positions + t
    const int64_t t = r % positions, h = (r / positions) % heads, b = r / positions / heads;
    const float* xr = x + b * x_b + h * x_h + t * x_t;
    const float* c = cos + (b * positions + t) * dim;
    const float* s = sin + (b * positions + t) * dim;
    float* o = out + r * dim;
    for (int64_t i = 0; i < half; i++) o[i] = xr[i] * c[i] + -xr[i + half] * s[i];
    for (int64_t i = half; i < dim; i++) o[i] = xr[i] * c[i] + xr[i - half] * s[i];
  }
}

}  // namespace

extern "C" int raftj_cpu_rope(const float* x, int64_t x_b, int64_t x_h, int64_t x_t, const float* cos,
                              const float* sin, float* out, int64_t heads, int64_t positions, int64_t dim,
                              int64_t from, int64_t to) {
  if (!x || !cos || !sin || !out || heads <= 0 || positions <= 0 || dim <= 0 || dim % 2 != 0 || from < 0 ||
      to < from) {
    return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  }
  rope_rows(x, x_b, x_h, x_t, cos, sin, out, heads, positions, dim, from, to);
  return RAFTJ_CPU_OK;
}

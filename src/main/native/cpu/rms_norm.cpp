// Llama's RMSNorm for forwards without a gradient (raftj_cpu.h): one pass for the mean square, one
// for the scaled output, per row. LibTorch's rms_norm is six ops (pow, mean, add, rsqrt, mul, mul).
#include "raftj_cpu.h"
#include "lane_sums.h"

#include <cmath>

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void rms_norm_rows(const float* x, const float* weight, float* out, int64_t dim, float eps, int64_t from, int64_t to) {
  for (int64_t r = from; r < to; r++) {
    const float* xr = x + r * dim;
    const float squares = raftj::dot8(xr, xr, dim);
    const float inv = 1.0f / std::sqrt(squares / static_cast<float>(dim) + eps);
    float* o = out + r * dim;
    for (int64_t j = 0; j < dim; j++) o[j] = weight[j] * (xr[j] * inv);  // HF: weight * (x * rsqrt(mean + eps))
  }
}

}  // namespace

extern "C" int raftj_cpu_rms_norm(const float* x, const float* weight, float* out, int64_t dim, float eps,
                                  int64_t from, int64_t to) {
  if (!x || !weight || !out || dim <= 0 || from < 0 || to < from) return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  rms_norm_rows(x, weight, out, dim, eps, from, to);
  return RAFTJ_CPU_OK;
}

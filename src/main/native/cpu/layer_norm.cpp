// GPT-2's LayerNorm for forwards without a gradient (raftj_cpu.h), optionally with the residual add
// before it fused in: s = x + residual (written out: the next residual), then per row one pass for
// the mean, one for the variance about it and one for the output. LibTorch's CPU layer_norm also
// writes mean and rstd tensors and forks its thread pool for each call; with the add, two ops.
#include "raftj_cpu.h"
#include "lane_sums.h"

#include <cmath>

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void layer_norm_rows(const float* x, const float* residual, const float* weight, const float* bias, float* sum,
                     float* out, int64_t dim, float eps, int64_t from, int64_t to) {
  for (int64_t r = from; r < to; r++) {
    const float* xr = x + r * dim;
    if (residual) {
      const float* rr = residual + r * dim;
      float* sr = sum + r * dim;
      for (int64_t j = 0; j < dim; j++) sr[j] = xr[j] + rr[j];
      xr = sr;
    }
    const float mean = raftj::sum8(xr, dim) / static_cast<float>(dim);
    const float rstd = 1.0f / std::sqrt(raftj::squares8(xr, mean, dim) / static_cast<float>(dim) + eps);
    float* o = out + r * dim;
    for (int64_t j = 0; j < dim; j++) o[j] = (xr[j] - mean) * rstd * weight[j] + bias[j];
  }
}

}  // namespace

extern "C" int raftj_cpu_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                                    float* sum, float* out, int64_t dim, float eps, int64_t from, int64_t to) {
  if (!x || !weight || !bias || !out || (residual && !sum) || dim <= 0 || from < 0 || to < from) {
    return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  }
  layer_norm_rows(x, residual, weight, bias, sum, out, dim, eps, from, to);
  return RAFTJ_CPU_OK;
}

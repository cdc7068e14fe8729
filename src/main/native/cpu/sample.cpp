// Sampling without top-k / top-p / min-p on the CPU (raftj_cpu.h): for each row, one pass for the
// log-sum-exp, one for the temperature-scaled exponentials and one walk up their running sum to
// the drawn mass. TorchKernels' LibTorch chain (logsumexp, softmax, cumsum, searchsorted, gather)
// makes a [B, V] tensor per op; CpuSamplingTest compares the two.
#include "raftj_cpu.h"
#include "exp_nonpositive.h"

#include <cmath>
#include <vector>

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
float sum_exp(const float* x, float shift, float scale, float* out, int64_t v) {
  // out[i] = e^((x[i] - shift) * scale); eight partial sums in a fixed order
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= v; i += 8) {
    for (int l = 0; l < 8; l++) {
      const float e = raftj::exp_nonpositive((x[i + l] - shift) * scale);
      out[i + l] = e;
      acc[l] += e;
    }
  }
  for (; i < v; i++) {
    const float e = raftj::exp_nonpositive((x[i] - shift) * scale);
    out[i] = e;
    acc[0] += e;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void sample_rows(const float* logits, int64_t row_stride, int64_t v, const float* temperature, const float* uniform,
                 int64_t* tokens, float* logprobs, int64_t from, int64_t to) {
  std::vector<float> e(static_cast<size_t>(v));
  for (int64_t r = from; r < to; r++) {
    const float* x = logits + r * row_stride;
    int64_t argmax = 0;
    float max = x[0];
    for (int64_t i = 1; i < v; i++) {
      if (x[i] > max) {  // strictly greater: ties go to the lower index, as argmax does
        max = x[i];
        argmax = i;
      }
    }
    const float sum = sum_exp(x, max, 1.0f, e.data(), v);  // at temperature 1 these are the draw's weights too
    const float lse = max + std::log(sum);
    const float t = temperature[r];
    int64_t token = argmax;
    if (t > 0.0f) {
      // softmax(x / t): the largest scaled logit is max / t, so e_i = exp((x_i - max) / t)
      const float total = t == 1.0f ? sum : sum_exp(x, max, 1.0f / std::fmax(t, 1e-6f), e.data(), v);
      const double target = static_cast<double>(uniform[r]) * total;
      // the first token whose running mass passes the draw (running sum in double, as a cumsum
      // accumulates); a draw at the very top (rounding) takes the last token
      double mass = 0;
      token = v - 1;
      for (int64_t i = 0; i < v; i++) {
        mass += e[i];
        if (mass > target) {
          token = i;
          break;
        }
      }
    }
    tokens[r] = token;
    logprobs[r] = x[token] - lse;
  }
}

}  // namespace

extern "C" int raftj_cpu_sample(const float* logits, int64_t row_stride, int64_t v, const float* temperature,
                                const float* uniform, int64_t* tokens, float* logprobs, int64_t from, int64_t to) {
  if (!logits || !temperature || !uniform || !tokens || !logprobs || v <= 0 || row_stride < v || from < 0 ||
      to < from) {
    return RAFTJ_CPU_ERR_INVALID_ARGUMENT;
  }
  sample_rows(logits, row_stride, v, temperature, uniform, tokens, logprobs, from, to);
  return RAFTJ_CPU_OK;
}

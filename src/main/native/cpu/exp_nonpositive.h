// exp_nonpositive.h: e^x for x <= 0 in plain arithmetic, shared by the CPU kernels (header only).
#ifndef RAFTJ_EXP_NONPOSITIVE_H
#define RAFTJ_EXP_NONPOSITIVE_H

#include <cstdint>
#include <cstring>

namespace raftj {

// e^x for x <= 0 (a softmax's shifted scores) without a branch or a call, so the loop over the keys
// vectorizes (with -fno-trapping-math): Cephes' expf, range reduction by ln 2 in two parts and a
// degree-6 polynomial; measured against double exp on [-87, 0] in steps of 7e-4: relative error at
// most 7.9e-8. Below -88 (a masked key's -inf included) it returns exactly 0: n = -127 makes the
// power of two's bits 0.
inline float exp_nonpositive(float x) {
  x = x > -88.0f ? x : -88.0f;
  // n = x / ln 2 rounded to the nearest integer: adding and removing 1.5 * 2^23 drops the fraction
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n for n in [-126, 0]; +0.0 for n = -127
  float power;
  std::memcpy(&power, &bits, sizeof power);
  return p * power;
}

}  // namespace raftj

#endif

// lane_sums.h: sums in eight lanes, shared by the CPU kernels (header only). Written so that the
// compiler vectorizes them without reassociating anything itself: the summation order is the one
// written here (lane l sums elements l, l + 8, ..., then a fixed tree over the lanes), whatever the
// instruction set; the AVX2 clones may still fuse a multiply and an add.
#ifndef RAFTJ_LANE_SUMS_H
#define RAFTJ_LANE_SUMS_H

#include <cstdint>

namespace raftj {

// The fixed tree over eight lane sums.
inline float tree8(const float* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Σ a[i]
inline float sum8(const float* a, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[i + l];
  for (; i < n; i++) acc[0] += a[i];
  return tree8(acc);
}

// Σ a[i] b[i]
inline float dot8(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
  for (; i < n; i++) acc[0] += a[i] * b[i];
  return tree8(acc);
}

// Σ (a[i] − c)²
inline float squares8(const float* a, float c, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += (a[i + l] - c) * (a[i + l] - c);
  for (; i < n; i++) acc[0] += (a[i] - c) * (a[i] - c);
  return tree8(acc);
}

}  // namespace raftj

#endif

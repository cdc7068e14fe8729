// Times raftj_cpu_decode_attention alone at decoding's shapes (one thread, best of 5 rounds): rows ×
// heads (row, head) pairs over KEYS cached keys of head size DIM, every key visible, the cache in
// [rows, heads, keys, dim] order as KvCache holds it. Built and run by benchmarks/native-attention.sh.
// Usage: decode_attention_bench ROWS KEYS [DIM] [HEADS]
#include "raftj_cpu.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ROWS KEYS [DIM] [HEADS]\n", argv[0]);
    return 2;
  }
  const int rows = std::atoi(argv[1]), keys = std::atoi(argv[2]);
  const int dim = argc > 3 ? std::atoi(argv[3]) : 16, heads = argc > 4 ? std::atoi(argv[4]) : 4;
  std::vector<float> q(static_cast<size_t>(rows) * heads * dim), k(static_cast<size_t>(rows) * heads * keys * dim);
  std::vector<float> v(k.size()), out(q.size());
  std::vector<uint8_t> visible(static_cast<size_t>(rows) * keys, 1);
  std::mt19937 gen(1);
  std::normal_distribution<float> normal;
  for (auto* a : {&q, &k, &v})
    for (float& x : *a) x = normal(gen);
  const int64_t row = static_cast<int64_t>(heads) * keys * dim, head = static_cast<int64_t>(keys) * dim;
  const double pairKeys = static_cast<double>(rows) * heads * keys;
  const int reps = std::max(3, static_cast<int>(2e8 / (pairKeys * dim)));
  double best = 1e30;
  for (int round = 0; round < 5; round++) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; i++) {
      if (raftj_cpu_decode_attention(q.data(), k.data(), v.data(), visible.data(), out.data(), heads, heads, keys, dim,
                                     row, head, dim, row, head, dim, 0.25f, 0, static_cast<int64_t>(rows) * heads) != 0)
        return 1;
    }
    best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps);
  }
  std::printf("rows %d heads %d keys %d dim %d | %.1f us per call | %.2f ns per (pair, key) | %.2f GB/s of keys and values\n",
              rows, heads, keys, dim, best, best * 1e3 / pairKeys, 2.0 * k.size() * sizeof(float) / best / 1e3);
  return 0;
}

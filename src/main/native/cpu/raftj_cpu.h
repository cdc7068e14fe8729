/*
 * raftj_cpu.h: the C ABI of raftj's hand-written CPU kernels (plain C functions over host
 * pointers, sizes and scalars, called through JavaCPP by dev.raftj.kernels.CpuKernels).
 *   - every function returns RAFTJ_CPU_OK (0) or RAFTJ_CPU_ERR_INVALID_ARGUMENT;
 *   - a function works on the index range it is given and starts no threads: the caller splits
 *     the work over its own threads (Java's), so no second OpenMP runtime competes with LibTorch's.
 */
#ifndef RAFTJ_CPU_H
#define RAFTJ_CPU_H

#include <stdint.h>

#if defined(RAFTJ_BUILDING) && defined(__GNUC__)
#define RAFTJ_CPU_API __attribute__((visibility("default")))
#else
#define RAFTJ_CPU_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define RAFTJ_CPU_OK 0
#define RAFTJ_CPU_ERR_INVALID_ARGUMENT 1

/*
 * Decoding's attention: one query per (row, head) over the cached keys, float32.
 * For pairs p in [from, to) (p = row * heads + head), with g = heads / kv_heads and kv = head / g:
 *   s_j = scale * <q[p], k[row, kv, j]>, over keys j with visible[row * keys + j] != 0,
 *   out[p] = sum_j softmax(s)_j * v[row, kv, j]
 * q and out are contiguous [rows, heads, dim]; visible is [rows, keys] bytes with at least one
 * non-zero per row; k and v are addressed by their element strides (row, head, key; dim is
 * contiguous), so the KV cache's views over its capacity need no copy.
 */
RAFTJ_CPU_API int raftj_cpu_decode_attention(const float* q, const float* k, const float* v,
                                             const uint8_t* visible, float* out, int heads, int kv_heads,
                                             int keys, int dim, int64_t k_row, int64_t k_head, int64_t k_key,
                                             int64_t v_row, int64_t v_head, int64_t v_key, float scale,
                                             int64_t from, int64_t to);

/*
 * Activations of forwards without a gradient, over the elements [from, to) of contiguous float32
 * arrays (out may be x itself):
 *   gelu_tanh: out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (HF's gelu_new, GPT-2)
 *   silu_mul:  out = gate * sigmoid(gate) * up                          (Llama's MLP, before down_proj)
 */
RAFTJ_CPU_API int raftj_cpu_gelu_tanh(const float* x, float* out, int64_t from, int64_t to);
RAFTJ_CPU_API int raftj_cpu_silu_mul(const float* gate, const float* up, float* out, int64_t from, int64_t to);

/*
 * One token per row r in [from, to) of logits [rows, v] (float32, rows row_stride apart), with no
 * top-k, top-p or min-p: temperature[r] <= 0 takes the first largest logit; otherwise the token is
 * the first whose running mass of softmax(logits / temperature) exceeds uniform[r] (in [0, 1)) times
 * the total. logprobs[r] = logit - logsumexp(logits), the temperature-1 log-probability.
 */
RAFTJ_CPU_API int raftj_cpu_sample(const float* logits, int64_t row_stride, int64_t v, const float* temperature,
                                   const float* uniform, int64_t* tokens, float* logprobs, int64_t from, int64_t to);

/*
 * Rotary position embedding (HF's rotate_half form) of x [B, heads, positions, dim] (element strides
 * x_b, x_h, x_t; dim contiguous) with cos and sin contiguous [B, positions, dim]:
 *   out[r, i] = x[r, i] cos[i] - x[r, i + dim/2] sin[i]   for i < dim/2
 *   out[r, i] = x[r, i] cos[i] + x[r, i - dim/2] sin[i]   otherwise
 * for rows r = (b * heads + h) * positions + t in [from, to); out is contiguous [B, heads, positions, dim].
 */
RAFTJ_CPU_API int raftj_cpu_rope(const float* x, int64_t x_b, int64_t x_h, int64_t x_t, const float* cos,
                                 const float* sin, float* out, int64_t heads, int64_t positions, int64_t dim,
                                 int64_t from, int64_t to);

/* RMSNorm of rows [from, to) of contiguous x [rows, dim]: out = weight * (x / sqrt(mean(x^2) + eps)). */
RAFTJ_CPU_API int raftj_cpu_rms_norm(const float* x, const float* weight, float* out, int64_t dim, float eps,
                                     int64_t from, int64_t to);

/* LayerNorm of rows [from, to) of contiguous x [rows, dim] (biased variance, as torch's layer_norm):
 * out = (s - mean(s)) / sqrt(var(s) + eps) * weight + bias, where s = x, or, when residual is not
 * NULL, s = x + residual (contiguous, same shape), which is also written to sum. */
RAFTJ_CPU_API int raftj_cpu_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                                       float* sum, float* out, int64_t dim, float eps, int64_t from, int64_t to);

#ifdef __cplusplus
}
#endif

#endif

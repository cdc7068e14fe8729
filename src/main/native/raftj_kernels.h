/*
 * raftj_kernels.h: the C ABI of raftj's hand-written CUDA kernels.
 *
 * Plain functions over raw device pointers, sizes and scalars; no C++ and no CUDA headers, so
 * the JavaCPP glue (and any C program) can include it. Rules for every function:
 *   - it returns an int status, RAFTJ_OK (0) on success; raftj_status_string names the others;
 *   - a status >= RAFTJ_CUDA_ERROR_BASE is RAFTJ_CUDA_ERROR_BASE + the cudaError_t that caused it;
 *   - launches are asynchronous on `stream` (a cudaStream_t passed as void*, NULL = the legacy
 *     default stream), so a kernel fault may surface at a later call or at raftj_sync;
 *   - the library allocates nothing it does not free, keeps no state between calls and never
 *     exits the process;
 *   - device pointers must live on the current device of the calling thread (raftj_set_device).
 */
#ifndef RAFTJ_KERNELS_H
#define RAFTJ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(RAFTJ_BUILDING) && defined(__GNUC__)
#define RAFTJ_API __attribute__((visibility("default")))
#else
#define RAFTJ_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ---- */
#define RAFTJ_OK 0
#define RAFTJ_ERR_INVALID_ARGUMENT 1 /* a size, pointer or dtype out of range */
#define RAFTJ_ERR_UNSUPPORTED 2      /* a valid request this build cannot serve */
#define RAFTJ_ERR_WORKSPACE 3        /* workspace missing or smaller than required */
#define RAFTJ_ERR_NO_DEVICE 4        /* no CUDA device or driver */
#define RAFTJ_CUDA_ERROR_BASE 1000   /* + cudaError_t */

/* ---- element types ---- */
#define RAFTJ_F32 0
#define RAFTJ_BF16 1

/* A static, never-freed description of a status (CUDA's own text for CUDA errors). */
RAFTJ_API const char* raftj_status_string(int status);

/* ---- runtime helpers: enough to test and time the kernels with no framework at all ---- */

/* Number of CUDA devices visible; 0 when there is no device or no driver. Never fails. */
RAFTJ_API int raftj_device_count(void);
/* Makes `device` current for the calling thread (for this library's CUDA runtime). */
RAFTJ_API int raftj_set_device(int device);
RAFTJ_API int raftj_malloc(void** ptr, size_t bytes);
RAFTJ_API int raftj_free(void* ptr);
RAFTJ_API int raftj_memcpy_h2d(void* dst_device, const void* src_host, size_t bytes);
RAFTJ_API int raftj_memcpy_d2h(void* dst_host, const void* src_device, size_t bytes);
RAFTJ_API int raftj_memcpy_d2d(void* dst_device, const void* src_device, size_t bytes, void* stream);
/* Fills `bytes` bytes of device memory with `byte_value` (used to poison outputs). */
RAFTJ_API int raftj_memset(void* dst_device, int byte_value, size_t bytes, void* stream);
/* Waits for all work on the current device and reports any pending asynchronous error. */
RAFTJ_API int raftj_sync(void);

/* ---- sampling.cu ---- */

/*
 * Draws one token per row of logits [B, V] (dtype RAFTJ_F32 or RAFTJ_BF16, row r at
 * logits + r * row_stride elements; row_stride may be 0 to broadcast one row).
 * Per-row parameters (device arrays of length B; NULL means "off" for that filter and 1.0 for
 * temperature): temperature (<= 0: greedy argmax, ties to the lower index), top_k (<= 0 or >= V:
 * off), top_p (>= 1: off), min_p (<= 0: off). The filtered distribution scales by 1/temperature,
 * keeps the top_k largest (ties to the lower index), then the smallest prefix by descending
 * probability whose mass reaches top_p of the kept mass, then drops tokens whose probability is
 * below min_p times the largest, and renormalises. Random numbers come from Philox4x32-10 keyed by
 * `seed` with counter (element/4, row, offset), so a draw is a pure function of its inputs.
 * Outputs (device, length B): tokens (int64) and logprobs = log_softmax(logits)[token] of the raw,
 * temperature-1, unfiltered row.
 * `splits`: blocks per row. 0 or 1: one block per row, no workspace. S in [2, 64] (with 4*S <= V+3):
 * each row is cut into S chunks that meet in `workspace` (device memory, 16-byte aligned, at least
 * raftj_sample_workspace_bytes(B, V, S) bytes; its contents need no initialisation). Both ways
 * draw the same tokens; the log-probabilities may differ in the last bits.
 */
RAFTJ_API int raftj_sample(const void* logits, int dtype, int64_t B, int64_t V, int64_t row_stride,
                 const float* temperature, const int64_t* top_k, const float* top_p,
                 const float* min_p, uint64_t seed, uint64_t offset,
                 int64_t* tokens, float* logprobs, int splits, void* workspace,
                 int64_t workspace_bytes, void* stream);

/* Blocks per row raftj_sample should use for [B, V] on the current device: 1 when B fills the
 * GPU's multiprocessors (or without a device), more when B is small (B * splits within the
 * multiprocessor count, chunks of at least 8192 elements). */
RAFTJ_API int raftj_sample_splits(int64_t B, int64_t V);

/* Workspace bytes raftj_sample needs with `splits` blocks per row (0 for splits <= 1); -1 when the
 * sizes are invalid. */
RAFTJ_API int64_t raftj_sample_workspace_bytes(int64_t B, int64_t V, int splits);

/* ---- topk.cu ---- */

/*
 * Segmented top-m over rewards [P, K] (fp32, contiguous), K <= 1024, 1 <= m <= K. The key is
 * r - beta * (logp - logp_ref) when logp and logp_ref are both non-NULL ([P, K] fp32), else r.
 * Writes values [P, m] (the key) and indices [P, m] (int64, within the row), descending by key,
 * ties to the lower index.
 */
RAFTJ_API int raftj_segmented_topk(const float* rewards, const float* logp, const float* logp_ref,
                         float beta, int64_t P, int64_t K, int64_t m,
                         float* values, int64_t* indices, void* stream);

/* Bytes of device workspace raftj_global_topk needs for (n, k); -1 when the sizes are invalid. */
RAFTJ_API int64_t raftj_global_topk_workspace_bytes(int64_t n, int64_t k);

/*
 * Global top-k over n rewards (fp32) with the same optional KL adjustment, 1 <= k <= n < 2^31.
 * Writes values [k] and indices [k] (int64), descending by key, ties to the lower index.
 * `workspace` is device memory of at least raftj_global_topk_workspace_bytes(n, k) bytes.
 */
RAFTJ_API int raftj_global_topk(const float* rewards, const float* logp, const float* logp_ref, float beta,
                      int64_t n, int64_t k, float* values, int64_t* indices,
                      void* workspace, int64_t workspace_bytes, void* stream);

/* ---- reward_head.cu ---- */

/*
 * Reward head: out[b] = dot(hidden[b, last_index[b], :], weight) + bias, fp32 accumulation.
 * hidden is [B, T, H] (dtype RAFTJ_F32 or RAFTJ_BF16) with element strides stride_b and stride_t
 * and a contiguous last dimension; weight is [H] of the same dtype; last_index is [B] int64;
 * out is [B] fp32. A last_index outside [0, T) yields NaN for that row.
 */
RAFTJ_API int raftj_reward_head(const void* hidden, int dtype, int64_t B, int64_t T, int64_t H,
                      int64_t stride_b, int64_t stride_t, const int64_t* last_index,
                      const void* weight, float bias, float* out, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* RAFTJ_KERNELS_H */

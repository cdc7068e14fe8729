// reward_head.cu: the scalar reward head, fused. For each sequence b (one block each), gather
// the hidden state at its last non-pad token, hidden[b, last_index[b], :], and return
// dot(that, weight) + bias in fp32 (fp32 accumulation for fp32 and bf16 inputs, 16-byte loads
// where the row and weight are aligned, a fixed reduction order so results repeat exactly).
#include "common.cuh"

namespace raftj {
namespace {

constexpr int RH_THREADS = 256;

__device__ inline float dot16(const float* a, const float* b) {  // 4 floats = 16 bytes
    const float4 x = __ldg(reinterpret_cast<const float4*>(a));
    const float4 y = __ldg(reinterpret_cast<const float4*>(b));
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}

__device__ inline float dot16(const __nv_bfloat16* a, const __nv_bfloat16* b) {  // 8 bf16 = 16 bytes
    const uint4 x = __ldg(reinterpret_cast<const uint4*>(a));
    const uint4 y = __ldg(reinterpret_cast<const uint4*>(b));
    const uint32_t xs[4] = {x.x, x.y, x.z, x.w}, ys[4] = {y.x, y.y, y.z, y.w};
    float s = 0.f;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
        s += __uint_as_float(xs[q] << 16) * __uint_as_float(ys[q] << 16);
        s += __uint_as_float(xs[q] & 0xFFFF0000u) * __uint_as_float(ys[q] & 0xFFFF0000u);
    }
    return s;
}

template <typename T>
__global__ void __launch_bounds__(RH_THREADS)
reward_head_kernel(const T* __restrict__ hidden, int64_t T_len, int64_t H, int64_t sb, int64_t st,
                   const int64_t* __restrict__ last, const T* __restrict__ w, float bias, float* __restrict__ out) {
    __shared__ float scratch[RH_THREADS / 32];
    const int64_t b = blockIdx.x;
    const int64_t t = last[b];
    if (t < 0 || t >= T_len) {
        if (threadIdx.x == 0) out[b] = __int_as_float(0x7FC00000);
        return;
    }
    const T* h = hidden + b * sb + t * st;
    constexpr int VEC = 16 / sizeof(T);
    const bool vec_ok = H % VEC == 0 && (reinterpret_cast<uintptr_t>(h) & 15) == 0 &&
                        (reinterpret_cast<uintptr_t>(w) & 15) == 0;
    float acc = 0.f;
    if (vec_ok) {
        for (int64_t j = (int64_t)threadIdx.x * VEC; j < H; j += (int64_t)RH_THREADS * VEC) acc += dot16(h + j, w + j);
    } else {
        for (int64_t j = threadIdx.x; j < H; j += RH_THREADS) acc += to_float(h[j]) * to_float(w[j]);
    }
    acc = block_sum<RH_THREADS>(acc, scratch);
    if (threadIdx.x == 0) out[b] = acc + bias;
}

}  // namespace
}  // namespace raftj

extern "C" int raftj_reward_head(const void* hidden, int dtype, int64_t B, int64_t T, int64_t H, int64_t stride_b,
                                 int64_t stride_t, const int64_t* last_index, const void* weight, float bias,
                                 float* out, void* stream) {
    using namespace raftj;
    if (B < 0 || B > 0x7FFFFFFF || T < 1 || H < 1 || stride_b < 0 || stride_t < 0) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (dtype != RAFTJ_F32 && dtype != RAFTJ_BF16) return RAFTJ_ERR_INVALID_ARGUMENT;
    if (B == 0) return RAFTJ_OK;
    if (!hidden || !last_index || !weight || !out) return RAFTJ_ERR_INVALID_ARGUMENT;
    const cudaStream_t st = as_stream(stream);
    if (dtype == RAFTJ_F32)
        RAFTJ_LAUNCH(reward_head_kernel<float>, (unsigned)B, RH_THREADS, 0, st, static_cast<const float*>(hidden), T, H, stride_b,
                                                                      stride_t, last_index,
                                                                      static_cast<const float*>(weight), bias, out);
    else
        RAFTJ_LAUNCH(reward_head_kernel<__nv_bfloat16>, (unsigned)B, RH_THREADS, 0, st, 
            static_cast<const __nv_bfloat16*>(hidden), T, H, stride_b, stride_t, last_index,
            static_cast<const __nv_bfloat16*>(weight), bias, out);
    return launch_status();
}

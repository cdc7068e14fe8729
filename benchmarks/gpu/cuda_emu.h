// cuda_emu.h: runs raftj's CUDA kernels on CPU threads, so their logic (passes, barriers,
// shuffles, ties, fallbacks) can be checked on a machine with nvcc but no GPU. One std::thread
// per CUDA thread, blocks one after another; __syncthreads is a barrier, warp shuffles go through
// a per-warp exchange slot between two warp barriers, atomics are GCC builtins. Numerics differ
// from a GPU only where a fast intrinsic (__expf, __logf) is emulated by the accurate function.
// Not a performance model. Used by benchmarks/gpu/emulate.sh:
//   g++ -std=c++20 -x c++ -DRAFTJ_EMULATE -include benchmarks/gpu/cuda_emu.h -Isrc/main/native ...
#pragma once
#ifndef RAFTJ_EMULATE
#error "cuda_emu.h is for -DRAFTJ_EMULATE builds only"
#endif

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) alignas(n)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct float4 {
    float x, y, z, w;
};
struct uint2 {
    unsigned x, y;
};
struct uint4 {
    unsigned x, y, z, w;
};
struct __nv_bfloat16 {
    uint16_t bits;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim, gridDim;

namespace raftj_emu {

struct Block {
    std::unique_ptr<std::barrier<>> bar;
    std::vector<std::unique_ptr<std::barrier<>>> warp;
    std::vector<uint64_t> slot;
    unsigned char* smem = nullptr;
};
inline Block* g_block = nullptr;

inline unsigned char* dynamic_smem() { return g_block->smem; }

inline uint64_t exchange_raw(uint64_t mine, int src_lane) {
    Block* b = g_block;
    const unsigned w = threadIdx.x / 32;
    b->slot[threadIdx.x] = mine;
    b->warp[w]->arrive_and_wait();
    const uint64_t r = b->slot[w * 32 + src_lane];
    b->warp[w]->arrive_and_wait();
    return r;
}

template <typename T>
T exchange(T v, int src_lane) {
    static_assert(sizeof(T) <= 8, "shuffle of a type wider than 8 bytes");
    uint64_t raw = 0;
    memcpy(&raw, &v, sizeof(T));
    raw = exchange_raw(raw, src_lane);
    T out;
    memcpy(&out, &raw, sizeof(T));
    return out;
}

template <typename... P, typename... A>
void launch(void (*kernel)(P...), unsigned grid, unsigned block, size_t smem, A... args) {
    if (grid == 0) return;
    Block blk;
    blk.bar = std::make_unique<std::barrier<>>(block);
    for (unsigned w = 0; w < (block + 31) / 32; ++w) blk.warp.push_back(std::make_unique<std::barrier<>>(32));
    blk.slot.assign(block, 0);
    std::vector<unsigned char> mem(smem + 64);
    blk.smem = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(mem.data()) + 63) & ~uintptr_t(63));
    g_block = &blk;
    blockDim = dim3{block, 1, 1};
    gridDim = dim3{grid, 1, 1};
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t) {
        threads.emplace_back([&, t] {
            threadIdx = dim3{t, 1, 1};
            for (unsigned b = 0; b < grid; ++b) {
                blockIdx = dim3{b, 1, 1};
                kernel(args...);
                blk.bar->arrive_and_wait();  // the block is done before the next reuses its memory
            }
        });
    }
    for (auto& th : threads) th.join();
    g_block = nullptr;
}

}  // namespace raftj_emu

// ---- device intrinsics ----

inline void __syncthreads() { raftj_emu::g_block->bar->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xFFFFFFFFu) { raftj_emu::g_block->warp[threadIdx.x / 32]->arrive_and_wait(); }

template <typename T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
    const int l = threadIdx.x % 32;
    return raftj_emu::exchange(v, (l & ~(width - 1)) + ((src % width + width) % width));
}
template <typename T>
T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    const int l = threadIdx.x % 32;
    int s = l ^ mask;
    if ((s & ~(width - 1)) != (l & ~(width - 1))) s = l;
    return raftj_emu::exchange(v, s);
}
template <typename T>
T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) {
    const int l = threadIdx.x % 32, seg = l & ~(width - 1);
    int s = l + (int)d;
    if (s >= seg + width) s = l;
    return raftj_emu::exchange(v, s);
}
template <typename T>
T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) {
    const int l = threadIdx.x % 32, seg = l & ~(width - 1);
    int s = l - (int)d;
    if (s < seg) s = l;
    return raftj_emu::exchange(v, s);
}
inline unsigned __ballot_sync(unsigned, int pred) {
    raftj_emu::Block* b = raftj_emu::g_block;
    const unsigned w = threadIdx.x / 32;
    b->slot[threadIdx.x] = pred ? 1 : 0;
    b->warp[w]->arrive_and_wait();
    unsigned r = 0;
    for (int i = 0; i < 32; ++i) r |= (unsigned)(b->slot[w * 32 + i] & 1) << i;
    b->warp[w]->arrive_and_wait();
    return r;
}

inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline float __logf(float x) { return logf(x); }
inline float __expf(float x) { return expf(x); }
inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
inline unsigned long long __float2ull_rn(float f) { return (unsigned long long)nearbyintf(f); }
inline int __clz(unsigned x) { return x ? __builtin_clz(x) : 32; }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline float __bfloat162float(__nv_bfloat16 h) { return __uint_as_float((unsigned)h.bits << 16); }
template <typename T>
T __ldg(const T* p) { return *p; }
template <typename T>
T min(T a, T b) { return b < a ? b : a; }
template <typename T>
T max(T a, T b) { return a < b ? b : a; }

// ---- runtime API, host memory standing in for device memory ----

typedef int cudaError_t;
typedef void* cudaStream_t;
typedef void* cudaEvent_t;
enum { cudaSuccess = 0 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount };
struct cudaDeviceProp {
    char name[256];
    int multiProcessorCount;
    int l2CacheSize;
};

inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated CUDA error"; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) { *v = 1; return cudaSuccess; }
template <typename K>
cudaError_t cudaFuncSetAttribute(K, cudaFuncAttribute, int) { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t n) {
    *p = aligned_alloc(256, (n + 255) / 256 * 256);
    return *p ? cudaSuccess : 2;
}
inline cudaError_t cudaFree(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { memmove(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) {
    memmove(d, s, n);
    return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t) { memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
    strcpy(p->name, "CPU emulation (cuda_emu.h)");
    p->multiProcessorCount = 1;
    p->l2CacheSize = 0;
    return cudaSuccess;
}
inline cudaError_t cudaEventCreate(cudaEvent_t* e) { *e = new double(0); return cudaSuccess; }
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete static_cast<double*>(e); return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
    *static_cast<double*>(e) = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
    *ms = (float)(*static_cast<double*>(b) - *static_cast<double*>(a));
    return cudaSuccess;
}

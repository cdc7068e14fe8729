// runtime.cu: the library's small runtime surface: status strings, device count and selection,
// and the allocation, copy, fill and sync helpers that let kernel_check (and Java tests) drive
// the kernels with no framework. Nothing here keeps state or exits the process.
#include "common.cuh"

extern "C" const char* raftj_status_string(int status) {
    switch (status) {
        case RAFTJ_OK: return "ok";
        case RAFTJ_ERR_INVALID_ARGUMENT: return "invalid argument (size, pointer or dtype out of range)";
        case RAFTJ_ERR_UNSUPPORTED: return "unsupported by this build";
        case RAFTJ_ERR_WORKSPACE: return "workspace missing, misaligned or too small";
        case RAFTJ_ERR_NO_DEVICE: return "no CUDA device or driver";
        default: break;
    }
    if (status >= RAFTJ_CUDA_ERROR_BASE) return cudaGetErrorString((cudaError_t)(status - RAFTJ_CUDA_ERROR_BASE));
    return "unknown status";
}

extern "C" int raftj_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error so later calls start clean
        return 0;
    }
    return n;
}

extern "C" int raftj_set_device(int device) {
    if (device < 0 || device >= raftj_device_count()) return RAFTJ_ERR_NO_DEVICE;
    return raftj::cuda_status(cudaSetDevice(device));
}

extern "C" int raftj_malloc(void** ptr, size_t bytes) {
    if (!ptr) return RAFTJ_ERR_INVALID_ARGUMENT;
    *ptr = nullptr;
    if (bytes == 0) return RAFTJ_OK;
    return raftj::cuda_status(cudaMalloc(ptr, bytes));
}

extern "C" int raftj_free(void* ptr) { return ptr ? raftj::cuda_status(cudaFree(ptr)) : RAFTJ_OK; }

extern "C" int raftj_memcpy_h2d(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return RAFTJ_OK;
    if (!dst || !src) return RAFTJ_ERR_INVALID_ARGUMENT;
    return raftj::cuda_status(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}

extern "C" int raftj_memcpy_d2h(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return RAFTJ_OK;
    if (!dst || !src) return RAFTJ_ERR_INVALID_ARGUMENT;
    return raftj::cuda_status(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

extern "C" int raftj_memcpy_d2d(void* dst, const void* src, size_t bytes, void* stream) {
    if (bytes == 0) return RAFTJ_OK;
    if (!dst || !src) return RAFTJ_ERR_INVALID_ARGUMENT;
    return raftj::cuda_status(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, raftj::as_stream(stream)));
}

extern "C" int raftj_memset(void* dst, int byte_value, size_t bytes, void* stream) {
    if (bytes == 0) return RAFTJ_OK;
    if (!dst) return RAFTJ_ERR_INVALID_ARGUMENT;
    return raftj::cuda_status(cudaMemsetAsync(dst, byte_value, bytes, raftj::as_stream(stream)));
}

extern "C" int raftj_sync(void) { return raftj::cuda_status(cudaDeviceSynchronize()); }

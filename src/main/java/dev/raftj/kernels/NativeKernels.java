package dev.raftj.kernels;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code src/main/native/raftj_kernels.h}: static native methods over raw
 * addresses ({@code long}), sizes and scalars. Every kernel entry returns a status (0 = ok) that
 * {@link #check} turns into a {@link KernelException}.
 *
 * <p>The JNI glue ({@code libjniNativeKernels.so}) and {@code libraftj_kernels.so} are built by
 * {@code cmake/build-native.sh} only where nvcc is found. Where they are absent this class still
 * loads: {@link #loaded()} is false and every native method throws {@link UnsatisfiedLinkError},
 * nothing crashes.
 */
@Platform(include = "raftj_kernels.h", link = "raftj_kernels")
public final class NativeKernels {

    public static final int OK = 0;
    public static final int F32 = 0;
    public static final int BF16 = 1;

    private static final Throwable LOAD_ERROR = NativeLoad.of(NativeKernels.class);

    private NativeKernels() {}

    /** True when the native library and its JNI glue loaded. */
    public static boolean loaded() {
        return LOAD_ERROR == null;
    }

    /** Why loading failed, or null. */
    public static Throwable loadError() {
        return LOAD_ERROR;
    }

    /** A failed kernel call: the op, the status and its description. */
    public static final class KernelException extends RuntimeException {
        private final int status;

        public KernelException(String op, int status, String what) {
            super(op + " failed with status " + status + ": " + what);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** Throws a {@link KernelException} naming {@code op} unless {@code status} is 0. */
    public static void check(int status, String op) {
        if (status != OK) {
            throw new KernelException(op, status, statusString(status));
        }
    }

    // ---- runtime helpers ----

    @Name("raftj_status_string")
    public static native @Cast("const char*") String statusString(int status);

    @Name("raftj_device_count")
    public static native int deviceCount();

    @Name("raftj_set_device")
    public static native int setDevice(int device);

    /** Allocates device memory; writes its address to the host long at {@code hostSlot}. */
    @Name("raftj_malloc")
    public static native int malloc(@Cast("void**") long hostSlot, @Cast("size_t") long bytes);

    @Name("raftj_free")
    public static native int free(@Cast("void*") long devicePtr);

    @Name("raftj_memcpy_h2d")
    public static native int memcpyH2D(@Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes);

    @Name("raftj_memcpy_d2h")
    public static native int memcpyD2H(@Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes);

    @Name("raftj_memcpy_d2d")
    public static native int memcpyD2D(@Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes,
                                       @Cast("void*") long stream);

    @Name("raftj_memset")
    public static native int memset(@Cast("void*") long dst, int byteValue, @Cast("size_t") long bytes,
                                    @Cast("void*") long stream);

    @Name("raftj_sync")
    public static native int sync();

    // ---- kernels (see raftj_kernels.h for the contracts) ----

    @Name("raftj_sample")
    public static native int sample(@Cast("const void*") long logits, int dtype, @Cast("int64_t") long b,
                                    @Cast("int64_t") long v, @Cast("int64_t") long rowStride,
                                    @Cast("const float*") long temperature, @Cast("const int64_t*") long topK,
                                    @Cast("const float*") long topP, @Cast("const float*") long minP,
                                    @Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
                                    @Cast("int64_t*") long tokens, @Cast("float*") long logprobs, int splits,
                                    @Cast("void*") long workspace, @Cast("int64_t") long workspaceBytes,
                                    @Cast("void*") long stream);

    /** Blocks per row {@link #sample} should use for [b, v] on the current device (1: no workspace). */
    @Name("raftj_sample_splits")
    public static native int sampleSplits(@Cast("int64_t") long b, @Cast("int64_t") long v);

    @Name("raftj_sample_workspace_bytes")
    public static native @Cast("int64_t") long sampleWorkspaceBytes(@Cast("int64_t") long b, @Cast("int64_t") long v,
                                                                     int splits);

    @Name("raftj_segmented_topk")
    public static native int segmentedTopK(@Cast("const float*") long rewards, @Cast("const float*") long logp,
                                           @Cast("const float*") long logpRef, float beta, @Cast("int64_t") long p,
                                           @Cast("int64_t") long k, @Cast("int64_t") long m,
                                           @Cast("float*") long values, @Cast("int64_t*") long indices,
                                           @Cast("void*") long stream);

    @Name("raftj_global_topk_workspace_bytes")
    public static native @Cast("int64_t") long globalTopKWorkspaceBytes(@Cast("int64_t") long n, @Cast("int64_t") long k);

    @Name("raftj_global_topk")
    public static native int globalTopK(@Cast("const float*") long rewards, @Cast("const float*") long logp,
                                        @Cast("const float*") long logpRef, float beta, @Cast("int64_t") long n,
                                        @Cast("int64_t") long k, @Cast("float*") long values,
                                        @Cast("int64_t*") long indices, @Cast("void*") long workspace,
                                        @Cast("int64_t") long workspaceBytes, @Cast("void*") long stream);

    @Name("raftj_reward_head")
    public static native int rewardHead(@Cast("const void*") long hidden, int dtype, @Cast("int64_t") long b,
                                        @Cast("int64_t") long t, @Cast("int64_t") long h,
                                        @Cast("int64_t") long strideB, @Cast("int64_t") long strideT,
                                        @Cast("const int64_t*") long lastIndex, @Cast("const void*") long weight,
                                        float bias, @Cast("float*") long out, @Cast("void*") long stream);
}

package dev.raftj.kernels;

import dev.raftj.torch.Torch;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * JavaCPP binding of {@code src/main/native/cpu/raftj_cpu.h}: raftj's hand-written CPU kernels,
 * static native methods over raw host addresses ({@code long}), sizes and scalars. They start no
 * threads; callers split the work. {@code cmake/build-native.sh} builds {@code libraftj_cpu.so} and
 * this class's JNI glue wherever a C++ compiler is found (with or without CUDA). Where they are
 * absent this class still loads: {@link #loaded()} is false, and callers use LibTorch ops instead.
 */
@Platform(include = "raftj_cpu.h", link = "raftj_cpu")
public final class CpuKernels {
    public static final int OK = 0;

    private static final Throwable LOAD_ERROR = load();

    private CpuKernels() {}

    private static Throwable load() {
        if (Boolean.getBoolean("raftj.cpu.kernels.off")) return new UnsupportedOperationException("raftj.cpu.kernels.off is set");
        return NativeLoad.of(CpuKernels.class);
    }

    /** True when the native library and its JNI glue loaded (and -Draftj.cpu.kernels.off is not set). */
    public static boolean loaded() {
        return LOAD_ERROR == null;
    }

    /** Why they did not load, or null. */
    public static Throwable loadError() {
        return LOAD_ERROR;
    }

    /** Throws naming {@code op} unless {@code status} is {@link #OK}. */
    public static void check(int status, String op) {
        if (status != OK) throw new IllegalArgumentException(op + ": invalid arguments (status " + status + ")");
    }

    /**
     * Whether the kernels can take these tensors: loaded, all on the CPU, float32, and none wanting a
     * gradient while autograd records.
     */
    public static boolean takes(Tensor... tensors) {
        if (!loaded()) return false;
        // A tensor that wants a gradient matters only while autograd records: under no_grad or
        // inference mode a trainable policy's forward takes the kernels as a frozen π0's does, so
        // the two give the same floats (KL exactly 0 between identical weights).
        boolean recording = org.bytedeco.pytorch.GradMode.is_enabled();
        for (Tensor t : tensors) {
            if (t.is_cuda() || (recording && t.requires_grad()) || Torch.dtype(t) != torch.ScalarType.Float) return false;
        }
        return true;
    }

    /** One kernel call over the items [from, to); returns its status. */
    public interface Range {
        int run(long from, long to);
    }

    /**
     * Runs {@code range} over the items [0, n) in as many parts as LibTorch has threads, fewer where a
     * part would get less than {@code minWork} of the call's {@code work} (a part's wake-up on the
     * common fork-join pool is ~tens of µs); throws naming {@code op} on a failed status.
     */
    public static void split(String op, long n, long work, long minWork, Range range) {
        int parts = (int) Math.max(1, Math.min(Math.min(torch.get_num_threads(), n), work / minWork));
        if (parts == 1) {
            check(range.run(0, n), op);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> check(range.run(n * p / parts, n * (p + 1) / parts), op));
    }

    /** See raftj_cpu.h: one query per (row, head) pair in [from, to) over the cached keys. */
    @Name("raftj_cpu_decode_attention")
    public static native int decodeAttention(@Cast("const float*") long q, @Cast("const float*") long k,
                                             @Cast("const float*") long v, @Cast("const uint8_t*") long visible,
                                             @Cast("float*") long out, int heads, int kvHeads, int keys, int dim,
                                             @Cast("int64_t") long kRow, @Cast("int64_t") long kHead,
                                             @Cast("int64_t") long kKey, @Cast("int64_t") long vRow,
                                             @Cast("int64_t") long vHead, @Cast("int64_t") long vKey, float scale,
                                             @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: GPT-2's tanh GELU over the elements [from, to). */
    @Name("raftj_cpu_gelu_tanh")
    public static native int geluTanh(@Cast("const float*") long x, @Cast("float*") long out,
                                      @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: SiLU(gate) · up over the elements [from, to). */
    @Name("raftj_cpu_silu_mul")
    public static native int siluMul(@Cast("const float*") long gate, @Cast("const float*") long up,
                                     @Cast("float*") long out, @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: one token per row in [from, to), without top-k, top-p or min-p. */
    @Name("raftj_cpu_sample")
    public static native int sample(@Cast("const float*") long logits, @Cast("int64_t") long rowStride,
                                    @Cast("int64_t") long v, @Cast("const float*") long temperature,
                                    @Cast("const float*") long uniform, @Cast("int64_t*") long tokens,
                                    @Cast("float*") long logprobs, @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: rotary position embedding of rows [from, to) of x [B, heads, positions, dim]. */
    @Name("raftj_cpu_rope")
    public static native int rope(@Cast("const float*") long x, @Cast("int64_t") long xB, @Cast("int64_t") long xH,
                                  @Cast("int64_t") long xT, @Cast("const float*") long cos, @Cast("const float*") long sin,
                                  @Cast("float*") long out, @Cast("int64_t") long heads, @Cast("int64_t") long positions,
                                  @Cast("int64_t") long dim, @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: RMSNorm of rows [from, to) of contiguous x [rows, dim]. */
    @Name("raftj_cpu_rms_norm")
    public static native int rmsNorm(@Cast("const float*") long x, @Cast("const float*") long weight, @Cast("float*") long out,
                                     @Cast("int64_t") long dim, float eps, @Cast("int64_t") long from, @Cast("int64_t") long to);

    /** See raftj_cpu.h: LayerNorm of rows [from, to) of contiguous x [rows, dim], the residual (0: none) added first into sum. */
    @Name("raftj_cpu_layer_norm")
    public static native int layerNorm(@Cast("const float*") long x, @Cast("const float*") long residual,
                                       @Cast("const float*") long weight, @Cast("const float*") long bias, @Cast("float*") long sum,
                                       @Cast("float*") long out, @Cast("int64_t") long dim, float eps, @Cast("int64_t") long from,
                                       @Cast("int64_t") long to);
}

package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Decoding's one-query attention equals LibTorch's SDPA, padding keys masked: the Java kernel
 * ({@link DecodeAttention#attend}) on the KV cache's strided views, and the LibTorch-op reference.
 */
class OneQueryAttentionTest {

    @Test
    void matchesScaledDotProductAttention() {
        compare(4, 0.25);
    }

    /**
     * Every head size the kernel has a fixed-size path for (16, 32, 64, 128) and two it does not
     * (8, 12), with key counts that are and are not multiples of the kernel's blocks of 8 keys.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"8, 9", "12, 9", "16, 5", "16, 20", "32, 17", "64, 9", "64, 24", "128, 11"})
    void matchesForEveryHeadSize(long d, long keys) {
        compare(2, 0.25, d, keys);
        compare(4, 1.0 / Math.sqrt(d), d, keys);
    }

    @Test
    void matchesGroupedScaledDotProductAttention() {
        compare(2, 0.25); // 4 query heads over 2 key/value heads (llama-tiny's layout)
    }

    @Test
    void matchesWhenScoresSpanTheExponentsRange() {
        compare(4, 8.0); // scores spread over about ±100: weights from 1 down to e^-87 and to 0
    }

    /** The build made the CPU kernels (a C++ compiler was found), so they must load. */
    @Test
    void cpuKernelsLoadWhereBuilt() throws java.io.IOException {
        if (cpuKernelsBuilt()) {
            assertTrue(dev.raftj.kernels.CpuKernels.loaded(), () -> "built but not loaded: " + dev.raftj.kernels.CpuKernels.loadError());
        }
    }

    /** Whether this build's native step made the CPU kernels (cmake/build-cpu.sh's status file says so). */
    static boolean cpuKernelsBuilt() throws java.io.IOException {
        java.nio.file.Path status = java.nio.file.Path.of("target/native/cpu-kernels.status");
        return java.nio.file.Files.exists(status) && java.nio.file.Files.readString(status).trim().equals("built");
    }

    private static void compare(long kvHeads, double scale) {
        compare(kvHeads, scale, 16, 9);
    }

    private static void compare(long kvHeads, double scale, long d, long keys) {
        torch.manual_seed(5);
        long b = 40, h = 4; // 160 (row, head) pairs: split over the threads
        // as in a decode step: q a transposed view of the projection, k and v views of a longer cache
        Tensor q = torch.randn(b, 1, h, d).transpose(1, 2);
        Tensor k = torch.randn(b, kvHeads, keys + 7, d).narrow(2, 0, keys), v = torch.randn(b, kvHeads, keys + 7, d).narrow(2, 0, keys);
        // left padding: row r has r mod keys padding keys, the last key (the new token's own) always visible
        Tensor mask = torch.ones(new long[] {b, 1, 1, keys}, Torch.options(torch.ScalarType.Bool, q.device()));
        for (int r = 0; r < b; r++) if (r % keys > 0) mask.select(0, r).narrow(2, 0, r % keys).fill_(new Scalar(0));
        Tensor ref = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(mask), 0.0, false,
                new DoubleOptional(scale), kvHeads != h).transpose(1, 2).reshape(b, 1, h * d);
        if (DecodeAttention.applies(q, k)) assertClose(ref, DecodeAttention.attend(q, k, v, mask, scale));
        assertClose(ref, DecodeAttention.reference(q, k, v, mask, scale));
        assertClose(ref, Backbone.attend(q, k, v, mask, scale, 0.0));
    }

    private static void assertClose(Tensor ref, Tensor fast) {
        assertArrayEquals(Torch.shape(ref), Torch.shape(fast));
        float[] want = Torch.toFloats(ref), got = Torch.toFloats(fast);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.abs(want[i]), "element " + i + ": " + got[i] + " vs " + want[i]);
        }
    }
}

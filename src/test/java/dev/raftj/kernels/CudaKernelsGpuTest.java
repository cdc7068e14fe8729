package dev.raftj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels against plain-Java references (llm.c style: |a - b| <= atol + rtol * |ref|,
 * the worst element named on failure). The first test runs everywhere; the {@code gpu}-tagged
 * ones skip without a device. {@link Raw} drives the kernels through device buffers of our own
 * (no LibTorch at all); {@link ThroughTorch} goes through {@link CudaKernels} with LibTorch CUDA
 * tensors. Outputs are poisoned (0xFF bytes) before each run and checked to be fully written.
 */
class CudaKernelsGpuTest {

    @Test
    void availabilityNeverThrowsAndBadArgumentsAreStatuses() {
        boolean available = CudaKernels.available();
        assertNotNull(CudaKernels.unavailableReason());
        if (!NativeKernels.loaded()) {
            assertTrue(!available, "available() without the native library");
            return;
        }
        assertEquals("ok", NativeKernels.statusString(0));
        assertTrue(NativeKernels.statusString(1).contains("invalid"));
        assertNotNull(NativeKernels.statusString(1000 + 100));
        assertTrue(NativeKernels.deviceCount() >= 0);
        // Validation happens before any CUDA call, so these answer even without a device.
        assertEquals(1, NativeKernels.sample(0, NativeKernels.F32, 1, 10, 10, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0));
        assertEquals(1, NativeKernels.segmentedTopK(0, 0, 0, 0f, 4, 2000, 1, 0, 0, 0));
        assertEquals(-1, NativeKernels.globalTopKWorkspaceBytes(10, 11));
        assertEquals(0, NativeKernels.sample(0, NativeKernels.F32, 0, 10, 10, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0));
        // The split path: no workspace is a status; too many splits for V is invalid.
        assertEquals(0, NativeKernels.sampleWorkspaceBytes(8, 1000, 1));
        assertTrue(NativeKernels.sampleWorkspaceBytes(8, 1000, 4) >= 8 * 4 * 32);
        assertEquals(-1, NativeKernels.sampleWorkspaceBytes(8, 1000, 65));
        assertEquals(3, NativeKernels.sample(8, NativeKernels.F32, 1, 100, 100, 0, 0, 0, 0, 1, 0, 8, 8, 4, 0, 0, 0));
        assertEquals(1, NativeKernels.sample(8, NativeKernels.F32, 1, 10, 10, 0, 0, 0, 0, 1, 0, 8, 8, 4, 0, 0, 0));
        int splits = NativeKernels.sampleSplits(4, 128_256);
        assertTrue(splits >= 1 && splits <= 64, "splits " + splits);
    }

    // ---------------------------------------------------------------- references (plain Java)

    /** The exact filtered distribution the kernels sample from (see Kernels.sample). */
    static double[] filtered(float[] x, float temperature, long topK, float topP, float minP) {
        int v = x.length;
        double[] out = new double[v];
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -x[i]).thenComparingInt(i -> i));
        if (!(temperature > 0)) {
            out[order[0]] = 1;
            return out;
        }
        double max = x[order[0]];
        double[] q = new double[v];
        for (int i = 0; i < v; i++) {
            q[i] = Math.exp((x[i] - max) / temperature);
        }
        int keep = topK > 0 && topK < v ? (int) topK : v;
        double mk = 0;
        for (int j = 0; j < keep; j++) {
            mk += q[order[j]];
        }
        if (topP < 1) {
            double cum = 0;
            int cut = 0;
            while (cut < keep && (cut == 0 || cum < topP * mk)) {
                cum += q[order[cut]];
                cut++;
            }
            keep = cut;
        }
        double z = 0;
        for (int j = 0; j < keep; j++) {
            int i = order[j];
            if (minP > 0 && q[i] < Math.min(minP, 1f)) {
                continue;
            }
            out[i] = q[i];
            z += q[i];
        }
        for (int i = 0; i < v; i++) {
            out[i] /= z;
        }
        return out;
    }

    static double logSoftmaxAt(float[] x, int i) {
        double max = Double.NEGATIVE_INFINITY;
        for (float f : x) {
            max = Math.max(max, f);
        }
        double s = 0;
        for (float f : x) {
            s += Math.exp(f - max);
        }
        return x[i] - max - Math.log(s);
    }

    static float key(float[] r, float[] lp, float[] lr, float beta, int i) {
        return lp == null ? r[i] : r[i] - beta * (lp[i] - lr[i]); // float ops, no FMA: as the kernel
    }

    /** Indices of the m largest keys among [from, from+len), descending, ties to the lower index. */
    static int[] topIndices(float[] keys, int from, int len, int m) {
        Integer[] idx = new Integer[len];
        for (int i = 0; i < len; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Float.compare(keys[from + b] + 0f, keys[from + a] + 0f);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[m];
        for (int j = 0; j < m; j++) {
            out[j] = idx[j];
        }
        return out;
    }

    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    static float[] roundBf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = fromBf16(bf16(x[i]));
        }
        return y;
    }

    static double tv(long[] tokens, double[] p) {
        double[] counts = new double[p.length];
        for (long t : tokens) {
            assertTrue(t >= 0 && t < p.length, "token out of range (unwritten output?): " + t);
            counts[(int) t]++;
        }
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            d += Math.abs(counts[i] / tokens.length - p[i]);
        }
        return d / 2;
    }

    /** Expected TV distance of n draws from p (sampling noise alone), to size tests sensibly. */
    static double expectedNoiseTv(double[] p, int n) {
        double s = 0;
        for (double pi : p) {
            s += Math.sqrt(pi * (1 - pi) / n);
        }
        return 0.5 * Math.sqrt(2 / Math.PI) * s;
    }

    static void assertClose(float[] got, double[] ref, double atol, double rtol, String what) {
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            double excess = err - (atol + rtol * Math.abs(ref[i]));
            if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + got[worst] + ", reference " + ref[worst] + " (atol " + atol
                    + ", rtol " + rtol + ")");
        }
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    // ---------------------------------------------------------------- raw device buffers

    /** Device memory from raftj_malloc; freed on close. */
    static final class Buf implements AutoCloseable {
        final long ptr;
        final long bytes;

        Buf(long bytes) {
            this.bytes = bytes;
            try (LongPointer slot = new LongPointer(1)) {
                NativeKernels.check(NativeKernels.malloc(slot.address(), Math.max(bytes, 1)), "raftj_malloc");
                this.ptr = slot.get(0);
            }
        }

        static Buf of(float[] a) {
            Buf b = new Buf(4L * a.length);
            try (FloatPointer h = new FloatPointer(a)) {
                b.upload(h);
            }
            return b;
        }

        static Buf of(long[] a) {
            Buf b = new Buf(8L * a.length);
            try (LongPointer h = new LongPointer(a)) {
                b.upload(h);
            }
            return b;
        }

        static Buf ofBf16(float[] a) {
            short[] s = new short[a.length];
            for (int i = 0; i < a.length; i++) {
                s[i] = bf16(a[i]);
            }
            Buf b = new Buf(2L * a.length);
            try (ShortPointer h = new ShortPointer(s)) {
                b.upload(h);
            }
            return b;
        }

        void upload(Pointer h) {
            NativeKernels.check(NativeKernels.memcpyH2D(ptr, h.address(), bytes), "raftj_memcpy_h2d");
        }

        void poison() {
            NativeKernels.check(NativeKernels.memset(ptr, 0xFF, bytes, 0), "raftj_memset");
        }

        float[] floats() {
            NativeKernels.check(NativeKernels.sync(), "kernel");
            try (FloatPointer h = new FloatPointer(bytes / 4)) {
                NativeKernels.check(NativeKernels.memcpyD2H(h.address(), ptr, bytes), "raftj_memcpy_d2h");
                float[] a = new float[(int) (bytes / 4)];
                h.get(a);
                return a;
            }
        }

        long[] longs() {
            NativeKernels.check(NativeKernels.sync(), "kernel");
            try (LongPointer h = new LongPointer(bytes / 8)) {
                NativeKernels.check(NativeKernels.memcpyD2H(h.address(), ptr, bytes), "raftj_memcpy_d2h");
                long[] a = new long[(int) (bytes / 8)];
                h.get(a);
                return a;
            }
        }

        @Override
        public void close() {
            NativeKernels.free(ptr);
        }
    }

    static long[] fill(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    static float[] fill(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    @Nested
    @Tag("gpu")
    class Raw {

        @BeforeEach
        void needDevice() {
            Assumptions.assumeTrue(CudaKernels.available(), "no CUDA device or raftj native library");
        }

        /** Samples n draws of one broadcast row (row stride 0) with the given filters. */
        long[] draw(float[] logits, boolean bf16, int n, float t, long k, float p, float minP, long seed) {
            try (Buf x = bf16 ? Buf.ofBf16(logits) : Buf.of(logits);
                 Buf temp = Buf.of(fill(n, t)); Buf topK = Buf.of(fill(n, k)); Buf topP = Buf.of(fill(n, p));
                 Buf mp = Buf.of(fill(n, minP)); Buf tokens = new Buf(8L * n); Buf lps = new Buf(4L * n)) {
                tokens.poison();
                lps.poison();
                NativeKernels.check(NativeKernels.sample(x.ptr, bf16 ? NativeKernels.BF16 : NativeKernels.F32, n,
                        logits.length, 0, temp.ptr, topK.ptr, topP.ptr, mp.ptr, seed, 7, tokens.ptr, lps.ptr, 1, 0, 0, 0),
                        "raftj_sample");
                long[] tok = tokens.longs();
                float[] lp = lps.floats();
                float[] ref = bf16 ? roundBf16(logits) : logits;
                for (int i = 0; i < n; i += Math.max(1, n / 1000)) {
                    double want = logSoftmaxAt(ref, (int) tok[i]);
                    assertTrue(Math.abs(lp[i] - want) <= 1e-4 + 1e-5 * Math.abs(want),
                            "logprob of row " + i + " is " + lp[i] + ", reference " + want);
                }
                return tok;
            }
        }

        void checkTv(String what, float[] logits, boolean bf16, float t, long k, float p, float minP) {
            int n = 1_000_000;
            double[] ref = filtered(bf16 ? roundBf16(logits) : logits, t, k, p, minP);
            double noise = expectedNoiseTv(ref, n);
            assertTrue(noise < 0.005, what + ": test distribution too wide for 10^6 draws (noise " + noise + ")");
            double d = tv(draw(logits, bf16, n, t, k, p, minP, 1234), ref);
            assertTrue(d <= 0.01, what + ": TV distance " + d + " > 0.01 (sampling noise alone ~" + noise + ")");
        }

        @Test
        void filteredSamplingMatchesExactDistribution() {
            Random rnd = new Random(1);
            float[] x = gaussian(rnd, 1000, 2.0);
            checkTv("top-k 50", x, false, 0.8f, 50, 1f, 0f);
            checkTv("top-p 0.9", x, false, 0.7f, 0, 0.9f, 0f);
            checkTv("min-p 0.05", x, false, 0.9f, 0, 1f, 0.05f);
            checkTv("top-k 100, top-p 0.8, min-p 0.01", x, false, 1.0f, 100, 0.8f, 0.01f);
            checkTv("bf16 top-k 40, top-p 0.95", x, true, 0.8f, 40, 0.95f, 0f);
            float[] peaked = gaussian(rnd, 32000, 3.0);
            checkTv("plain T=1 (Gumbel-max in one pass)", peaked, false, 1.0f, 0, 1f, 0f);
            checkTv("bf16 plain T=0.9", peaked, true, 0.9f, 0, 1f, 0f);
            checkTv("V=32000 top-k 64 top-p 0.9", peaked, false, 1.0f, 64, 0.9f, 0f);
            // Ties: all logits equal; the kept tokens are the lowest indices (shared-memory path ...
            checkTv("ties, top-k 10", fill(2000, 0.5f), false, 1f, 10, 1f, 0f);
            // ... and the radix-select fallback, where the bracket exceeds shared memory).
            checkTv("ties, fallback, top-k 10", fill(20000, 0.5f), false, 1f, 10, 1f, 0f);
            checkTv("ties, fallback, top-p 0.01", fill(5000, -1.0f), false, 1f, 0, 0.01f, 0f);
        }

        @Test
        void greedyIsExactArgmaxWithTiesToLowerIndex() {
            Random rnd = new Random(2);
            int b = 64;
            int v = 50_000;
            float[] all = new float[b * v];
            for (int r = 0; r < b; r++) {
                for (int i = 0; i < v; i++) {
                    all[r * v + i] = (float) rnd.nextGaussian();
                }
                int a = rnd.nextInt(v);
                int c = rnd.nextInt(v);
                all[r * v + a] = 9f; // a planted tie: the lower of a and c must win
                all[r * v + c] = 9f;
            }
            for (boolean bf16 : new boolean[] {false, true}) {
                float[] ref = bf16 ? roundBf16(all) : all;
                try (Buf x = bf16 ? Buf.ofBf16(all) : Buf.of(all); Buf temp = Buf.of(fill(b, 0f));
                     Buf tokens = new Buf(8L * b); Buf lps = new Buf(4L * b)) {
                    tokens.poison();
                    lps.poison();
                    NativeKernels.check(NativeKernels.sample(x.ptr, bf16 ? NativeKernels.BF16 : NativeKernels.F32, b,
                            v, v, temp.ptr, 0, 0, 0, 5, 0, tokens.ptr, lps.ptr, 1, 0, 0, 0), "raftj_sample");
                    long[] tok = tokens.longs();
                    float[] lp = lps.floats();
                    double[] want = new double[b];
                    for (int r = 0; r < b; r++) {
                        float[] row = Arrays.copyOfRange(ref, r * v, (r + 1) * v);
                        int best = 0;
                        for (int i = 1; i < v; i++) {
                            if (row[i] > row[best]) {
                                best = i;
                            }
                        }
                        assertEquals(best, tok[r], "greedy token of row " + r + (bf16 ? " (bf16)" : ""));
                        want[r] = logSoftmaxAt(row, best);
                    }
                    assertClose(lp, want, 1e-4, 1e-5, "greedy logprobs" + (bf16 ? " (bf16)" : ""));
                }
            }
        }

        @Test
        void splitRowsDrawTheSameTokensAsOneBlockPerRow() {
            Random rnd = new Random(5);
            int b = 12;
            int v = 40_000;
            float[] x = gaussian(rnd, b * v, 2.0);
            // Per row: greedy, plain, top-k, top-p, min-p, all three; twice over.
            float[] t = {0f, 1f, 0.7f, 1.1f, 0.8f, 1f, 0f, 0.9f, 1.3f, 0.5f, 1f, 1f};
            long[] k = {0, 0, 50, 0, 0, 40, 0, 0, 1, 0, 0, 7};
            float[] p = {1f, 1f, 1f, 0.9f, 1f, 0.8f, 1f, 1f, 1f, 0.99f, 1f, 0.3f};
            float[] mp = {0f, 0f, 0f, 0f, 0.05f, 0.01f, 0f, 0f, 0f, 0f, 0.1f, 0f};
            int auto = NativeKernels.sampleSplits(b, v);
            long[] reference = null;
            float[] referenceLp = null;
            for (int splits : new int[] {1, 3, 17, auto}) {
                long wsBytes = NativeKernels.sampleWorkspaceBytes(b, v, splits);
                try (Buf xs = Buf.of(x); Buf temp = Buf.of(t); Buf topK = Buf.of(k); Buf topP = Buf.of(p);
                     Buf minP = Buf.of(mp); Buf tokens = new Buf(8L * b); Buf lps = new Buf(4L * b);
                     Buf ws = new Buf(Math.max(1, wsBytes))) {
                    tokens.poison();
                    lps.poison();
                    ws.poison(); // the workspace needs no initialisation
                    NativeKernels.check(NativeKernels.sample(xs.ptr, NativeKernels.F32, b, v, v, temp.ptr, topK.ptr,
                            topP.ptr, minP.ptr, 42, 3, tokens.ptr, lps.ptr, splits, ws.ptr, wsBytes, 0), "raftj_sample");
                    long[] tok = tokens.longs();
                    float[] lp = lps.floats();
                    if (reference == null) {
                        reference = tok;
                        referenceLp = lp;
                        continue;
                    }
                    assertTrue(Arrays.equals(reference, tok), "splits=" + splits + ": tokens " + Arrays.toString(tok)
                            + ", one block per row " + Arrays.toString(reference));
                    double[] want = new double[b];
                    for (int r = 0; r < b; r++) {
                        want[r] = referenceLp[r];
                    }
                    assertClose(lp, want, 1e-5, 1e-5, "logprobs with splits=" + splits);
                }
            }
        }

        @Test
        void samplingIsReproducibleFromSeedAndOffset() {
            float[] x = gaussian(new Random(3), 4096, 1.0);
            long[] a = draw(x, false, 4096, 1f, 0, 0.9f, 0f, 99);
            long[] b = draw(x, false, 4096, 1f, 0, 0.9f, 0f, 99);
            long[] c = draw(x, false, 4096, 1f, 0, 0.9f, 0f, 100);
            assertTrue(Arrays.equals(a, b), "same seed and offset, different tokens");
            assertTrue(!Arrays.equals(a, c), "different seeds, same tokens");
        }

        @Test
        void segmentedTopKIsExact() {
            Random rnd = new Random(4);
            int[][] shapes = {{64, 8, 1}, {100, 16, 4}, {50, 17, 17}, {33, 64, 8}, {7, 300, 20}, {5, 1024, 1024}};
            for (int[] s : shapes) {
                int p = s[0];
                int k = s[1];
                int m = s[2];
                for (boolean kl : new boolean[] {false, true}) {
                    float[] r = new float[p * k];
                    float[] lp = new float[p * k];
                    float[] lr = new float[p * k];
                    for (int i = 0; i < r.length; i++) {
                        r[i] = Math.round(rnd.nextGaussian() * 4) / 4f; // many ties
                        lp[i] = (float) -rnd.nextDouble() * 3;
                        lr[i] = (float) -rnd.nextDouble() * 3;
                    }
                    float beta = 0.1f;
                    try (Buf dr = Buf.of(r); Buf dlp = Buf.of(lp); Buf dlr = Buf.of(lr);
                         Buf vals = new Buf(4L * p * m); Buf idx = new Buf(8L * p * m)) {
                        vals.poison();
                        idx.poison();
                        NativeKernels.check(NativeKernels.segmentedTopK(dr.ptr, kl ? dlp.ptr : 0, kl ? dlr.ptr : 0, beta,
                                p, k, m, vals.ptr, idx.ptr, 0), "raftj_segmented_topk");
                        float[] gv = vals.floats();
                        long[] gi = idx.longs();
                        float[] keys = new float[p * k];
                        for (int i = 0; i < keys.length; i++) {
                            keys[i] = key(r, kl ? lp : null, lr, beta, i);
                        }
                        for (int row = 0; row < p; row++) {
                            int[] want = topIndices(keys, row * k, k, m);
                            for (int j = 0; j < m; j++) {
                                String at = "P=" + p + " K=" + k + " m=" + m + " kl=" + kl + " row " + row + " rank " + j;
                                assertEquals(want[j], gi[row * m + j], at);
                                assertEquals(keys[row * k + want[j]], gv[row * m + j], 0f, at);
                            }
                        }
                    }
                }
            }
        }

        @Test
        void globalTopKIsExact() {
            Random rnd = new Random(5);
            int[][] shapes = {{1000, 1}, {1000, 37}, {65536, 2048}, {70000, 9000}};
            for (int[] s : shapes) {
                int n = s[0];
                int k = s[1];
                float[] r = new float[n];
                float[] lp = new float[n];
                float[] lr = new float[n];
                for (int i = 0; i < n; i++) {
                    r[i] = rnd.nextInt(5) == 0 ? 1f : Math.round(rnd.nextGaussian() * 8) / 8f;
                    lp[i] = (float) -rnd.nextDouble();
                    lr[i] = (float) -rnd.nextDouble();
                }
                for (boolean kl : new boolean[] {false, true}) {
                    long wsBytes = NativeKernels.globalTopKWorkspaceBytes(n, k);
                    try (Buf dr = Buf.of(r); Buf dlp = Buf.of(lp); Buf dlr = Buf.of(lr); Buf ws = new Buf(wsBytes);
                         Buf vals = new Buf(4L * k); Buf idx = new Buf(8L * k)) {
                        vals.poison();
                        idx.poison();
                        ws.poison();
                        NativeKernels.check(NativeKernels.globalTopK(dr.ptr, kl ? dlp.ptr : 0, kl ? dlr.ptr : 0, 0.5f, n,
                                k, vals.ptr, idx.ptr, ws.ptr, wsBytes, 0), "raftj_global_topk");
                        float[] gv = vals.floats();
                        long[] gi = idx.longs();
                        float[] keys = new float[n];
                        for (int i = 0; i < n; i++) {
                            keys[i] = key(r, kl ? lp : null, lr, 0.5f, i);
                        }
                        int[] want = topIndices(keys, 0, n, k);
                        for (int j = 0; j < k; j++) {
                            String at = "N=" + n + " k=" + k + " kl=" + kl + " rank " + j;
                            assertEquals(want[j], gi[j], at);
                            assertEquals(keys[want[j]], gv[j], 0f, at);
                        }
                    }
                }
            }
        }

        @Test
        void rewardHeadMatchesWithinTolerance() {
            Random rnd = new Random(6);
            for (int h : new int[] {4096, 1001}) { // 1001: the unaligned, scalar path
                int b = 16;
                int t = 33;
                float[] hidden = gaussian(rnd, b * t * h, 1.0);
                float[] w = gaussian(rnd, h, 0.05);
                long[] last = new long[b];
                for (int i = 0; i < b; i++) {
                    last[i] = i == 0 ? 0 : i == 1 ? t - 1 : rnd.nextInt(t);
                }
                last[b - 1] = -1; // invalid: NaN
                for (boolean bf16 : new boolean[] {false, true}) {
                    float[] hr = bf16 ? roundBf16(hidden) : hidden;
                    float[] wr = bf16 ? roundBf16(w) : w;
                    double[] want = new double[b - 1];
                    double scale = 0;
                    for (int i = 0; i < b - 1; i++) {
                        double s = 0.25;
                        for (int j = 0; j < h; j++) {
                            double prod = (double) hr[(i * t + (int) last[i]) * h + j] * wr[j];
                            s += prod;
                            scale = Math.max(scale, Math.abs(prod));
                        }
                        want[i] = s;
                    }
                    try (Buf dh = bf16 ? Buf.ofBf16(hidden) : Buf.of(hidden); Buf dw = bf16 ? Buf.ofBf16(w) : Buf.of(w);
                         Buf dl = Buf.of(last); Buf out = new Buf(4L * b)) {
                        out.poison();
                        NativeKernels.check(NativeKernels.rewardHead(dh.ptr, bf16 ? NativeKernels.BF16 : NativeKernels.F32,
                                b, t, h, (long) t * h, h, dl.ptr, dw.ptr, 0.25f, out.ptr, 0), "raftj_reward_head");
                        float[] got = out.floats();
                        assertTrue(Float.isNaN(got[b - 1]), "invalid last index must give NaN");
                        // Both dtypes accumulate in fp32 over exact products: error ~ sqrt(H) ulps.
                        assertClose(Arrays.copyOf(got, b - 1), want, 1e-4, 1e-4, "reward head H=" + h + (bf16 ? " bf16" : " fp32"));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- through LibTorch tensors

    @Nested
    @Tag("gpu")
    class ThroughTorch {

        Device cuda;

        @BeforeEach
        void needTorchCuda() {
            Assumptions.assumeTrue(CudaKernels.available(), "no CUDA device or raftj native library");
            boolean torchCuda;
            try {
                torchCuda = torch.cuda_is_available();
            } catch (Throwable t) {
                torchCuda = false;
            }
            Assumptions.assumeTrue(torchCuda, "LibTorch has no CUDA here (CPU build or no device)");
            cuda = new Device("cuda:0");
        }

        Tensor tensor(float[] a, long... shape) {
            Tensor cpu = torch.empty(shape, new TensorOptions(ScalarType.Float), new MemoryFormatOptional());
            new FloatPointer(cpu.data_ptr()).put(a);
            return cpu.to(cuda, ScalarType.Float);
        }

        Tensor tensor(long[] a, long... shape) {
            Tensor cpu = torch.empty(shape, new TensorOptions(ScalarType.Long), new MemoryFormatOptional());
            new LongPointer(cpu.data_ptr()).put(a);
            return cpu.to(cuda, ScalarType.Long);
        }

        float[] floats(Tensor t) {
            Tensor cpu = t.to(new Device("cpu"), ScalarType.Float).contiguous();
            float[] a = new float[(int) cpu.numel()];
            new FloatPointer(cpu.data_ptr()).get(a);
            return a;
        }

        long[] longs(Tensor t) {
            Tensor cpu = t.to(new Device("cpu"), ScalarType.Long).contiguous();
            long[] a = new long[(int) cpu.numel()];
            new LongPointer(cpu.data_ptr()).get(a);
            return a;
        }

        @Test
        void kernelsThroughTheInterface() {
            Kernels kernels = new CudaKernels();
            assertEquals("cuda", kernels.name());
            Random rnd = new Random(7);

            // filtered sampling of one bf16 row broadcast to 10^6 rows (stride 0, no copy)
            int b = 1_000_000;
            float[] row = gaussian(rnd, 1000, 2.0);
            Tensor logits = tensor(row, 1, row.length).to(ScalarType.BFloat16).expand(b, row.length);
            Kernels.Sampled s = kernels.sample(logits, new Kernels.SamplingRows(tensor(fill(b, 0.8f), b),
                    tensor(fill(b, 50L), b), tensor(fill(b, 0.9f), b), null), 11, 3);
            double[] ref = filtered(roundBf16(row), 0.8f, 50, 0.9f, 0f);
            double d = tv(longs(s.tokens()), ref);
            assertTrue(d <= 0.01, "bf16 top-k/top-p sampling through tensors: TV " + d);
            float[] lps = floats(s.logprobs());
            double lp0 = logSoftmaxAt(roundBf16(row), (int) longs(s.tokens())[0]);
            assertTrue(Math.abs(lps[0] - lp0) <= 1e-4, "logprob " + lps[0] + " vs " + lp0);

            // segmented and global top-k with KL
            int p = 512;
            int k = 16;
            float[] r = new float[p * k];
            float[] lp = new float[p * k];
            float[] lr = new float[p * k];
            for (int i = 0; i < r.length; i++) {
                r[i] = Math.round(rnd.nextGaussian() * 4) / 4f;
                lp[i] = (float) -rnd.nextDouble();
                lr[i] = (float) -rnd.nextDouble();
            }
            Kernels.TopK seg = kernels.segmentedTopK(tensor(r, p, k), 2, tensor(lp, p, k), tensor(lr, p, k), 0.2f);
            long[] si = longs(seg.indices());
            float[] keys = new float[r.length];
            for (int i = 0; i < r.length; i++) {
                keys[i] = key(r, lp, lr, 0.2f, i);
            }
            for (int row0 = 0; row0 < p; row0++) {
                int[] want = topIndices(keys, row0 * k, k, 2);
                assertEquals(want[0], si[row0 * 2], "segmented row " + row0);
                assertEquals(want[1], si[row0 * 2 + 1], "segmented row " + row0);
            }
            Kernels.TopK glob = kernels.globalTopK(tensor(r, p * k), 512, tensor(lp, p * k), tensor(lr, p * k), 0.2f);
            long[] gi = longs(glob.indices());
            int[] want = topIndices(keys, 0, p * k, 512);
            for (int j = 0; j < 512; j++) {
                assertEquals(want[j], gi[j], "global rank " + j);
            }

            // reward head, bf16 hidden
            int bb = 8;
            int t = 20;
            int h = 2048;
            float[] hidden = gaussian(rnd, bb * t * h, 1.0);
            float[] w = gaussian(rnd, h, 0.05);
            long[] last = new long[bb];
            for (int i = 0; i < bb; i++) {
                last[i] = rnd.nextInt(t);
            }
            Tensor out = kernels.rewardHead(tensor(hidden, bb, t, h).to(ScalarType.BFloat16), tensor(last, bb),
                    tensor(w, h).to(ScalarType.BFloat16), -0.5f);
            float[] hr = roundBf16(hidden);
            float[] wr = roundBf16(w);
            double[] rw = new double[bb];
            for (int i = 0; i < bb; i++) {
                double acc = -0.5;
                for (int j = 0; j < h; j++) {
                    acc += (double) hr[(i * t + (int) last[i]) * h + j] * wr[j];
                }
                rw[i] = acc;
            }
            assertClose(floats(out), rw, 1e-3, 1e-3, "reward head through tensors (bf16)");
        }
    }
}

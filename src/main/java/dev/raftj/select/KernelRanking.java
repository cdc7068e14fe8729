package dev.raftj.select;

import dev.raftj.kernels.Kernels;
import dev.raftj.torch.Torch;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * RAFT's selection as the loop runs it: local (best m per prompt) or global (top of the batch),
 * through the {@link Kernels} interface, so that on a GPU the fused top-k kernels do the work. With
 * β &gt; 0 the key r − β·(log π − log π0) is computed by the kernel on the device from the rewards
 * and both log-probabilities. Keys are float32; invalid samples get −∞ and are dropped after the
 * top-k. {@link Ranking} is the host reference with the same float32 arithmetic and tie rule.
 */
public final class KernelRanking {
    private KernelRanking() {}

    /** Best m of each prompt's k samples, best first, as indices into the prompt-major batch. */
    public static int[] localTopM(Kernels kernels, Device device, Keys keys, int promptCount, int k, int m) {
        int keep = Math.min(m, k);
        try (PointerScope scope = new PointerScope()) {
            long[] shape = {promptCount, k};
            Kernels.TopK top = kernels.segmentedTopK(keys.rewards(device, shape), keep, keys.logp(device, shape),
                    keys.logpRef(device, shape), keys.kernelBeta());
            float[] values = Torch.toFloats(top.values());
            long[] idx = Torch.toLongs(top.indices());
            int[] out = new int[values.length];
            int n = 0;
            for (int i = 0; i < values.length; i++) {
                if (values[i] != Float.NEGATIVE_INFINITY) out[n++] = (i / keep) * k + (int) idx[i];
            }
            return Arrays.copyOf(out, n);
        }
    }

    /** The top {@link Ranking#keepCount} of the batch, best first. */
    public static int[] globalTopFraction(Kernels kernels, Device device, Keys keys, double fraction) {
        int size = keys.rewards().length;
        int count = Math.min(Ranking.keepCount(size, fraction), size);
        try (PointerScope scope = new PointerScope()) {
            long[] shape = {size};
            Kernels.TopK top = kernels.globalTopK(keys.rewards(device, shape), count, keys.logp(device, shape),
                    keys.logpRef(device, shape), keys.kernelBeta());
            float[] values = Torch.toFloats(top.values());
            long[] idx = Torch.toLongs(top.indices());
            int[] out = new int[values.length];
            int n = 0;
            for (int i = 0; i < values.length; i++) {
                if (values[i] != Float.NEGATIVE_INFINITY) out[n++] = (int) idx[i];
            }
            return Arrays.copyOf(out, n);
        }
    }

    /**
     * What samples are ranked by: rewards (invalid ones never kept) and, for KL-adjusted ranking,
     * log π and log π0 of each sample's tokens with β &gt; 0 (else null, null, 0).
     */
    public record Keys(double[] rewards, boolean[] valid, double[] logp, double[] logpRef, double beta) {
        public static Keys of(double[] rewards, boolean[] valid) {
            return new Keys(rewards, valid, null, null, 0);
        }

        float kernelBeta() {
            return logp == null ? 0f : (float) beta;
        }

        Tensor rewards(Device device, long[] shape) {
            float[] f = new float[rewards.length];
            for (int i = 0; i < f.length; i++) f[i] = valid[i] ? (float) rewards[i] : Float.NEGATIVE_INFINITY;
            return Torch.floats(f, shape).to(device, ScalarType.Float);
        }

        Tensor logp(Device device, long[] shape) {
            return logp == null ? null : maskedLogprobs(logp, device, shape);
        }

        Tensor logpRef(Device device, long[] shape) {
            return logpRef == null ? null : maskedLogprobs(logpRef, device, shape);
        }

        /** Invalid samples get 0, so that their key stays −∞ whatever β. */
        private Tensor maskedLogprobs(double[] lp, Device device, long[] shape) {
            float[] f = new float[lp.length];
            for (int i = 0; i < f.length; i++) f[i] = valid[i] ? (float) lp[i] : 0f;
            return Torch.floats(f, shape).to(device, ScalarType.Float);
        }
    }
}

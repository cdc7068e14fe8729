package dev.raftj.select;

import dev.raftj.kernels.Kernels;
import dev.raftj.torch.Torch;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link Ranking}'s local and global selection through the {@link Kernels} interface, so that on a
 * GPU the fused top-k kernels do the work. Same results as Ranking (ties to the lower index,
 * invalid samples never kept), with keys compared in float32: invalid samples get −∞ and are
 * dropped after the top-k.
 */
public final class KernelRanking {
    private KernelRanking() {}

    /** Best m of each prompt's k samples, best first, as indices into the prompt-major batch. */
    public static int[] localTopM(Kernels kernels, Device device, double[] key, boolean[] valid, int promptCount,
                                  int k, int m) {
        int keep = Math.min(m, k);
        try (PointerScope scope = new PointerScope()) {
            Tensor keys = Torch.floats(masked(key, valid), promptCount, k).to(device, ScalarType.Float);
            Kernels.TopK top = kernels.segmentedTopK(keys, keep, null, null, 0f);
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
    public static int[] globalTopFraction(Kernels kernels, Device device, double[] key, boolean[] valid,
                                          double fraction) {
        int count = Math.min(Ranking.keepCount(key.length, fraction), key.length);
        try (PointerScope scope = new PointerScope()) {
            Tensor keys = Torch.floats(masked(key, valid), key.length).to(device, ScalarType.Float);
            Kernels.TopK top = kernels.globalTopK(keys, count, null, null, 0f);
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

    private static float[] masked(double[] key, boolean[] valid) {
        float[] f = new float[key.length];
        for (int i = 0; i < f.length; i++) f[i] = valid[i] ? (float) key[i] : Float.NEGATIVE_INFINITY;
        return f;
    }
}

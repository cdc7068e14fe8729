package dev.raftj.diffusion;

import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Tensor;

/**
 * Standard normal draws from a SplitMix64 stream (Box–Muller), made in Java so that a sampler's
 * or a training step's noise depends only on its seed, never on LibTorch's generator or thread count.
 */
final class Gaussian {
    private Gaussian() {}

    static double next(Shuffle.SplitMix64 rng) {
        double u1 = ((rng.nextLong() >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
        double u2 = (rng.nextLong() >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A float tensor of standard normals of the given shape, drawn from {@code seed}. */
    static Tensor tensor(long seed, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[Math.toIntExact(n)];
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        for (int i = 0; i < v.length; i++) v[i] = (float) next(rng);
        return Torch.floats(v, shape);
    }
}

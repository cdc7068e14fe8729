package dev.raftj.diffusion;

import dev.raftj.data.Shuffle;
import java.util.List;

/**
 * The procedural images of the built-in {@code shapes} task: 16×16 grayscale, one shape per image
 * (disc, square, plus-shaped cross, or a block of horizontal stripes) at a random position, size and
 * intensity on a black background. Pixels are in [−1, 1]: background −1, the shape 2·v − 1 with
 * intensity v ∈ [0.6, 1]. The centre is uniform over a ±3-pixel square around the middle, so a shape
 * is mirror-symmetric only when it happens to sit on the vertical axis.
 */
public final class Shapes {
    public static final int SIZE = 16;
    public static final List<String> CLASSES = List.of("disc", "square", "cross", "stripes");

    private Shapes() {}

    /** Image {@code index} of a stream: class {@code label}, everything else drawn from (seed, index). */
    public static float[] draw(int label, long seed) {
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        double cx = SIZE / 2.0 + (UNet2D.uniform(rng) * 6 - 3), cy = SIZE / 2.0 + (UNet2D.uniform(rng) * 6 - 3);
        double v = 0.6 + 0.4 * UNet2D.uniform(rng), u = UNet2D.uniform(rng);
        float[] img = new float[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                boolean lit = switch (label) {
                    case 0 -> dx * dx + dy * dy <= sq(2.5 + 2.5 * u);
                    case 1 -> Math.abs(dx) <= 2 + 2.5 * u && Math.abs(dy) <= 2 + 2.5 * u;
                    case 2 -> {
                        double arm = 3 + 2.5 * u;
                        yield Math.abs(dx) <= 1 && Math.abs(dy) <= arm || Math.abs(dy) <= 1 && Math.abs(dx) <= arm;
                    }
                    case 3 -> {
                        double half = 3.5 + 2 * u;
                        yield Math.abs(dx) <= half && Math.abs(dy) <= half && Math.floorMod((int) Math.floor(dy + half), 3) < 2;
                    }
                    default -> throw new IllegalArgumentException("no shape class " + label);
                };
                img[y * SIZE + x] = lit ? (float) (2 * v - 1) : -1f;
            }
        }
        return img;
    }

    private static double sq(double r) {
        return r * r;
    }

    /** A batch: {@code labels[i]} drawn with seed (seed, i); images concatenated. */
    public static float[] batch(long[] labels, long seed) {
        float[] out = new float[labels.length * SIZE * SIZE];
        for (int i = 0; i < labels.length; i++) {
            System.arraycopy(draw((int) labels[i], Shuffle.deriveSeed(seed, i)), 0, out, i * SIZE * SIZE, SIZE * SIZE);
        }
        return out;
    }

    /** Balanced-at-random labels for a batch of n from seed. */
    public static long[] labels(int n, long seed) {
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(CLASSES.size());
        return y;
    }
}

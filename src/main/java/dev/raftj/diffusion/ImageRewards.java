package dev.raftj.diffusion;

import dev.raftj.core.UserError;
import java.nio.file.Path;

/**
 * Rule rewards on one grayscale image in [−1, 1] (pixels above 0 are "lit"), each in [0, 1]:
 * <ul>
 * <li>{@code symmetry}: intersection over union of the lit pixels and their left-right mirror
 *     image (1 for a shape centred on the vertical axis; 0 for an image with nothing lit);</li>
 * <li>{@code brightness:T}: 1 − |mean intensity − T|, intensity (x + 1)/2 averaged over the image;</li>
 * <li>{@code lit:N}: max(0, 1 − |lit pixels − N| / N).</li>
 * </ul>
 */
public final class ImageRewards {
    private ImageRewards() {}

    /** A reward rule by its spec string; a ConfigError-style UserError naming {@code source}/{@code field} when unknown. */
    public static ImageReward parse(String spec, Path source, String field) {
        String s = spec == null ? "" : spec.strip();
        if (s.equals("symmetry")) return new ImageReward(s, ImageRewards::symmetry);
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        if ((kind.equals("brightness") || kind.equals("lit")) && colon > 0) {
            double v;
            try {
                v = Double.parseDouble(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new dev.raftj.core.ConfigError(source, field, "'" + s + "': the value after ':' is not a number");
            }
            if (kind.equals("brightness")) {
                if (!(v >= 0 && v <= 1)) throw new dev.raftj.core.ConfigError(source, field, "brightness target must be in [0, 1], got " + v);
                return new ImageReward(s, (img, size) -> brightness(img, v));
            }
            if (!(v >= 1)) throw new dev.raftj.core.ConfigError(source, field, "lit-pixel target must be >= 1, got " + v);
            return new ImageReward(s, (img, size) -> litCount(img, v));
        }
        throw new dev.raftj.core.ConfigError(source, field, "'" + s + "' is not an image reward (symmetry, brightness:T, lit:N)");
    }

    /** A named rule, scoring image {@code i} of a flat batch. */
    public record ImageReward(String name, Rule rule) {
        public double[] score(float[] images, int size) {
            int per = size * size;
            double[] r = new double[images.length / per];
            for (int i = 0; i < r.length; i++) {
                float[] img = java.util.Arrays.copyOfRange(images, i * per, (i + 1) * per);
                r[i] = rule.score(img, size);
            }
            return r;
        }
    }

    @FunctionalInterface
    public interface Rule {
        double score(float[] image, int size);
    }

    public static double symmetry(float[] img, int size) {
        int inter = 0, union = 0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean a = img[y * size + x] > 0, b = img[y * size + (size - 1 - x)] > 0;
                if (a && b) inter++;
                if (a || b) union++;
            }
        }
        return union == 0 ? 0 : (double) inter / union;
    }

    public static double brightness(float[] img, double target) {
        double sum = 0;
        for (float v : img) sum += (v + 1) / 2;
        return 1 - Math.abs(sum / img.length - target);
    }

    public static double litCount(float[] img, double target) {
        int lit = 0;
        for (float v : img) if (v > 0) lit++;
        return Math.max(0, 1 - Math.abs(lit - target) / target);
    }
}

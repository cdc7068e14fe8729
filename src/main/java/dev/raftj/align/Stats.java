package dev.raftj.align;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Pure statistics over a stage's samples (means, distinct-n) and the process's peak memory. */
public final class Stats {
    private Stats() {}

    /** Mean of the finite values; NaN when there are none. */
    public static double mean(double[] xs) {
        double s = 0;
        int n = 0;
        for (double x : xs) {
            if (Double.isFinite(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /** Max of the finite values; −∞ when there are none. */
    public static double max(double[] xs) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : xs) if (Double.isFinite(x)) m = Math.max(m, x);
        return m;
    }

    /** The values at {@code indices}. */
    public static double[] pick(double[] xs, int[] indices) {
        double[] out = new double[indices.length];
        for (int i = 0; i < indices.length; i++) out[i] = xs[indices[i]];
        return out;
    }

    /** Distinct n-grams over all n-grams of the token sequences (Li et al. 2016's distinct-n). */
    public static double distinct(List<int[]> sequences, int n) {
        Set<List<Integer>> seen = new HashSet<>();
        long total = 0;
        for (int[] s : sequences) {
            for (int i = 0; i + n <= s.length; i++) {
                List<Integer> gram = new ArrayList<>(n);
                for (int j = 0; j < n; j++) gram.add(s[i + j]);
                seen.add(gram);
                total++;
            }
        }
        return total == 0 ? 0 : (double) seen.size() / total;
    }

    public static double meanLength(List<int[]> sequences) {
        return sequences.stream().mapToInt(s -> s.length).average().orElse(0);
    }

    /** Peak resident set size of this process in MiB (VmHWM), or −1 where /proc is absent. */
    public static double peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

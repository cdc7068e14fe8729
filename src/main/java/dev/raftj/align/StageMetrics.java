package dev.raftj.align;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pure metric functions over a stage's samples (distinct-n, means, resident memory). */
public final class StageMetrics {
    private StageMetrics() {}

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

    public static double max(double[] xs) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : xs) if (Double.isFinite(x)) m = Math.max(m, x);
        return m;
    }

    /** Distinct n-grams over all n-grams of the token sequences (Li et al. 2016's distinct-n). */
    public static double distinct(List<int[]> sequences, int n) {
        java.util.Set<List<Integer>> seen = new java.util.HashSet<>();
        long total = 0;
        for (int[] s : sequences) {
            for (int i = 0; i + n <= s.length; i++) {
                List<Integer> gram = new java.util.ArrayList<>(n);
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

    /** Peak resident set size of this process in MiB (VmHWM), or -1 where /proc is absent. */
    public static double peakRssMiB() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** An ordered map for one JSONL line. */
    public static Map<String, Object> line() {
        return new LinkedHashMap<>();
    }
}

package dev.raftj.align;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall time of a stage, split by phase (generate / reward / select / train / eval). */
public final class Timer {
    private final long start = System.nanoTime();
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    public <T> T time(String phase, Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            seconds.merge(phase, (System.nanoTime() - t0) / 1e9, Double::sum);
        }
    }

    public double total() {
        return (System.nanoTime() - start) / 1e9;
    }

    public Map<String, Double> split() {
        return seconds;
    }
}

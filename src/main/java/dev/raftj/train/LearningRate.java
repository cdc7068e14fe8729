package dev.raftj.train;

import dev.raftj.config.SftConfig.LrSchedule;

/** Learning-rate schedules with linear warmup (pure function, one call per optimizer step). */
public final class LearningRate {
    private LearningRate() {}

    /** The rate for 0-based {@code step} of {@code total} steps. */
    public static double at(LrSchedule schedule, double base, int step, int total, int warmup) {
        if (warmup > 0 && step < warmup) return base * (step + 1) / warmup;
        int decaySteps = Math.max(1, total - warmup);
        double progress = Math.min(1.0, (double) (step - warmup) / decaySteps);
        return switch (schedule) {
            case CONSTANT -> base;
            case LINEAR -> base * (1.0 - progress);
            case COSINE -> base * 0.5 * (1.0 + Math.cos(Math.PI * progress));
        };
    }
}

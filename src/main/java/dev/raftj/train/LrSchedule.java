package dev.raftj.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Learning-rate schedules after a linear warm-up (pure functions, one call per optimizer step). */
public enum LrSchedule {
    @JsonProperty("constant") CONSTANT,
    @JsonProperty("linear") LINEAR,
    @JsonProperty("cosine") COSINE;

    /** The rate for 0-based {@code step} of {@code total} steps, warming up over the first {@code warmup}. */
    public double at(double base, int step, int total, int warmup) {
        if (warmup > 0 && step < warmup) return base * (step + 1) / warmup;
        int decaySteps = Math.max(1, total - warmup);
        double progress = Math.min(1.0, (double) (step - warmup) / decaySteps);
        return switch (this) {
            case CONSTANT -> base;
            case LINEAR -> base * (1.0 - progress);
            case COSINE -> base * 0.5 * (1.0 + Math.cos(Math.PI * progress));
        };
    }
}

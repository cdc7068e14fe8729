package dev.raftj.config;

import dev.raftj.core.ConfigError;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks for configuration fields; each throws a {@link ConfigError} naming the file and the
 * field ("sampling.k") and saying what was expected and what was found.
 */
public final class Validate {

    private Validate() {}

    /** Joins a record's prefix and a field name: ("sampling", "k") → "sampling.k". */
    public static String field(String prefix, String name) {
        return prefix == null || prefix.isEmpty() ? name : prefix + "." + name;
    }

    public static void check(boolean ok, Path file, String field, String problem) {
        if (!ok) {
            throw new ConfigError(file, field, problem);
        }
    }

    public static void positive(Path file, String field, long value) {
        check(value >= 1, file, field, "must be >= 1, got " + value);
    }

    public static void positive(Path file, String field, double value) {
        check(value > 0 && Double.isFinite(value), file, field, "must be > 0, got " + value);
    }

    public static void nonNegative(Path file, String field, long value) {
        check(value >= 0, file, field, "must be >= 0, got " + value);
    }

    public static void nonNegative(Path file, String field, double value) {
        check(value >= 0 && Double.isFinite(value), file, field, "must be >= 0, got " + value);
    }

    /** lo ≤ value ≤ hi. */
    public static void inRange(Path file, String field, double value, double lo, double hi) {
        check(value >= lo && value <= hi, file, field, "must be in [" + lo + ", " + hi + "], got " + value);
    }

    /** lo ≤ value ≤ hi for integers. */
    public static void inRange(Path file, String field, long value, long lo, long hi) {
        check(value >= lo && value <= hi, file, field, "must be in [" + lo + ", " + hi + "], got " + value);
    }

    /** 0 &lt; value ≤ 1. */
    public static void fraction(Path file, String field, double value) {
        check(value > 0 && value <= 1, file, field, "must be in (0, 1], got " + value);
    }

    /** 0 ≤ value &lt; 1. */
    public static void fractionBelowOne(Path file, String field, double value) {
        check(value >= 0 && value < 1, file, field, "must be in [0, 1), got " + value);
    }

    /** A required string: set and not blank. */
    public static void required(Path file, String field, String value) {
        check(value != null && !value.isBlank(), file, field, "required, not set");
    }

    /** No null or empty strings in a list. */
    public static void noEmptyStrings(Path file, String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            check(v != null && !v.isEmpty(), file, field + "[" + i + "]", "must be a non-empty string");
        }
    }

    /**
     * The fields GRPO and PPO share: stages, batch_prompts, the optimizer's lr / grad_clip /
     * weight_decay, and minibatches (at most the samples of a stage, batch_prompts × k).
     */
    static void policyUpdate(Path file, String prefix, int stages, int batchPrompts, double lr, double gradClip,
                             double weightDecay, int minibatches, int k) {
        positive(file, field(prefix, "stages"), stages);
        positive(file, field(prefix, "batch_prompts"), batchPrompts);
        positive(file, field(prefix, "lr"), lr);
        nonNegative(file, field(prefix, "grad_clip"), gradClip);
        nonNegative(file, field(prefix, "weight_decay"), weightDecay);
        positive(file, field(prefix, "minibatches"), minibatches);
        check(minibatches <= (long) batchPrompts * k, file, field(prefix, "minibatches"),
                "must be <= batch_prompts × sampling.k (" + (long) batchPrompts * k + " samples a stage), got " + minibatches);
    }
}

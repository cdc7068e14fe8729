package dev.raftj.reward;

import java.util.List;

/**
 * Scores (prompt, response) pairs. Batched so model rewards can run one forward pass per batch;
 * rule rewards simply loop.
 *
 * <p>Contract: {@code prompts} and {@code responses} have the same length n and the result has
 * length n, entry i scoring pair i. Higher is better. A reward may throw or return NaN/±∞ for a
 * sample it cannot score; {@link RewardGuard} turns that into a dropped sample or a clear error.
 * The only deliberate non-finite value is {@link Double#NEGATIVE_INFINITY} from a reward whose
 * {@link #filters()} is true ({@link FilteredReward}): "degenerate, never keep".
 */
public interface Reward {

    double[] score(List<String> prompts, List<String> responses);

    /** A short name for logs and error messages. */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * True if this reward deliberately returns {@link Double#NEGATIVE_INFINITY} for degenerate
     * samples; {@link RewardGuard} then reads −∞ as "filtered" instead of as an error.
     */
    default boolean filters() {
        return false;
    }

    /** Throws unless both lists have the same length; for implementations. */
    static void checkSameLength(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) {
            throw new IllegalArgumentException(
                    prompts.size() + " prompts but " + responses.size() + " responses");
        }
    }
}

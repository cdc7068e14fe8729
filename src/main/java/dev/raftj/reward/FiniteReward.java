package dev.raftj.reward;

import java.util.List;

/**
 * A reward that stops at the first NaN or ±∞ it returns (a filter's deliberate −∞ excepted) with
 * a {@link RewardError} naming the reward (for a reward model, its folder) and the sample: what
 * {@code on_reward_error: fail} means for every caller, including those that score without a
 * {@link RewardGuard} (held-out evaluation, whose mean would otherwise skip the value silently).
 */
public final class FiniteReward implements Reward {
    private final Reward inner;

    public FiniteReward(Reward inner) {
        this.inner = inner;
    }

    public Reward inner() {
        return inner;
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        double[] r = inner.score(prompts, responses);
        for (int i = 0; i < r.length; i++) {
            if (!Double.isFinite(r[i]) && !(r[i] == Double.NEGATIVE_INFINITY && inner.filters())) {
                throw new RewardError(inner.name(), i, "reward '" + inner.name() + "' returned " + r[i] + " for sample "
                        + i + " of " + r.length + " (on_reward_error: fail; use drop to skip such samples)", null);
            }
        }
        return r;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public boolean filters() {
        return inner.filters();
    }
}

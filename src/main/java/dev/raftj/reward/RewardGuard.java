package dev.raftj.reward;

import java.util.Arrays;
import java.util.List;

/**
 * Runs a reward and makes its failures explicit, so a bad score never reaches ranking.
 *
 * <p>A sample fails if the reward throws on it or returns NaN, +∞, or −∞ from a reward that does
 * not {@linkplain Reward#filters() filter} (a filter's −∞ is counted as filtered, not failed).
 * If the batch call throws, each sample is re-scored alone to find the failing ones (a batch-wide
 * problem that a single sample does not reproduce, such as running out of memory, then scores
 * fine). Under {@link OnError#DROP} failing samples are marked invalid and counted; under
 * {@link OnError#FAIL} the first one raises a {@link RewardError}.
 */
public final class RewardGuard {

    private final Reward reward;
    private final OnError onError;

    public RewardGuard(Reward reward, OnError onError) {
        this.reward = reward;
        this.onError = onError;
    }

    public Reward reward() {
        return reward;
    }

    public Scored score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        int n = prompts.size();
        double[] rewards;
        try {
            rewards = reward.score(prompts, responses);
        } catch (RewardError attributed) {
            if (onError == OnError.FAIL) throw attributed; // already names the reward and the sample
            rewards = scoreOneByOne(prompts, responses);
        } catch (RuntimeException batchFailure) {
            rewards = scoreOneByOne(prompts, responses);
        }
        if (rewards.length != n) {
            throw new RewardError(reward.name(), -1, "reward '" + reward.name() + "' returned "
                    + rewards.length + " scores for " + n + " samples", null);
        }
        rewards = rewards.clone(); // never alias the reward's array
        boolean[] valid = new boolean[n];
        int dropped = 0;
        int filtered = 0;
        for (int i = 0; i < n; i++) {
            double r = rewards[i];
            if (Double.isFinite(r)) {
                valid[i] = true;
            } else if (r == Double.NEGATIVE_INFINITY && reward.filters()) {
                filtered++;
            } else {
                if (onError == OnError.FAIL) {
                    throw new RewardError(reward.name(), i, "reward '" + reward.name() + "' returned "
                            + r + " for sample " + i + " of " + n + " (on_reward_error: fail;"
                            + " use drop to skip such samples)", null);
                }
                rewards[i] = Double.NaN;
                dropped++;
            }
        }
        return new Scored(rewards, valid, dropped, filtered);
    }

    /** Scores each sample alone; a sample that throws gets NaN (DROP) or raises (FAIL). */
    private double[] scoreOneByOne(List<String> prompts, List<String> responses) {
        double[] rewards = new double[prompts.size()];
        Arrays.fill(rewards, Double.NaN);
        for (int i = 0; i < rewards.length; i++) {
            try {
                double[] one = reward.score(List.of(prompts.get(i)), List.of(responses.get(i)));
                rewards[i] = one.length == 1 ? one[0] : Double.NaN;
            } catch (RuntimeException e) {
                if (onError == OnError.FAIL) {
                    String why = e instanceof dev.raftj.core.UserError ? e.getMessage() : e.toString();
                    throw new RewardError(reward.name(), i, "reward '" + reward.name() + "' failed on sample "
                            + i + " of " + rewards.length + ": " + why + " (on_reward_error: fail;"
                            + " use drop to skip such samples)", e);
                }
            }
        }
        return rewards;
    }
}

package dev.raftj.reward;

import dev.raftj.core.UserError;

/**
 * A reward failed on a sample under {@link OnError#FAIL}: it threw, or returned NaN or ±∞
 * (other than a filter's deliberate −∞). The message names the reward, the sample index and
 * the value or the exception.
 */
public final class RewardError extends UserError {

    private final String rewardName;
    private final int sampleIndex;

    public RewardError(String rewardName, int sampleIndex, String message, Throwable cause) {
        super(message, cause);
        this.rewardName = rewardName;
        this.sampleIndex = sampleIndex;
    }

    public String rewardName() {
        return rewardName;
    }

    /** Index of the failing sample within the scored batch, or −1 if it concerns the whole batch. */
    public int sampleIndex() {
        return sampleIndex;
    }
}

package dev.raftj.reward;

/** What {@link RewardGuard} does when a reward throws or returns NaN/±∞ for a sample. */
public enum OnError {
    /** Mark the sample dropped: it is counted, masked out, and never reaches ranking. */
    DROP,
    /** Stop with a {@link RewardError} naming the reward, the sample and the value. */
    FAIL
}

package dev.raftj.reward;

/**
 * Rewards of one batch after {@link RewardGuard}. {@code valid[i]} is false for a dropped sample
 * (the reward failed on it; its reward is NaN) and for a filtered one (a filter gave it −∞);
 * rankers keep valid samples only.
 *
 * @param rewards  one reward per sample
 * @param valid    which samples may be ranked
 * @param dropped  how many samples the reward failed on (under {@link OnError#DROP})
 * @param filtered how many samples a filter rejected with −∞
 */
public record Scored(double[] rewards, boolean[] valid, int dropped, int filtered) {

    public int size() {
        return rewards.length;
    }

    public int validCount() {
        return rewards.length - dropped - filtered;
    }

    /** Mean reward over valid samples, NaN if none is valid. */
    public double meanValid() {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (valid[i]) {
                sum += rewards[i];
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }
}

package dev.raftj.reward;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A reward on response length, measured by a length function (Unicode code points by default;
 * pass a tokenizer's count for tokens). Two shapes:
 * <ul>
 *   <li>{@link #towardsTarget}: −|len − target| / target, so 0 at the target, −1 at length 0 or
 *       at twice the target, unbounded below for longer responses;</li>
 *   <li>{@link #linear}: scale · len, e.g. scale = 0.01 rewards verbosity, a negative scale
 *       penalises it.</li>
 * </ul>
 */
public final class LengthReward implements Reward {

    /** Length in Unicode code points (a surrogate pair counts once). */
    public static final ToIntFunction<String> CODE_POINTS = s -> s.codePointCount(0, s.length());

    private final ToIntFunction<String> length;
    private final boolean towardsTarget;
    private final double parameter; // target length, or scale

    private LengthReward(ToIntFunction<String> length, boolean towardsTarget, double parameter) {
        this.length = length;
        this.towardsTarget = towardsTarget;
        this.parameter = parameter;
    }

    /** −|len − target| / target; target must be ≥ 1. */
    public static LengthReward towardsTarget(int target, ToIntFunction<String> length) {
        if (target < 1) {
            throw new IllegalArgumentException("target length must be >= 1, got " + target);
        }
        return new LengthReward(length, true, target);
    }

    public static LengthReward towardsTarget(int target) {
        return towardsTarget(target, CODE_POINTS);
    }

    /** scale · len. */
    public static LengthReward linear(double scale, ToIntFunction<String> length) {
        return new LengthReward(length, false, scale);
    }

    public static LengthReward linear(double scale) {
        return linear(scale, CODE_POINTS);
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] scores = new double[responses.size()];
        for (int i = 0; i < scores.length; i++) {
            int len = length.applyAsInt(responses.get(i));
            scores[i] = towardsTarget ? targetScore(len, parameter) : linearScore(len, parameter);
        }
        return scores;
    }

    @Override
    public String name() {
        return towardsTarget ? "length_target(" + (int) parameter + ")" : "length_linear(" + parameter + ")";
    }

    /** −|len − target| / target. */
    public static double targetScore(int len, double target) {
        return 0.0 - Math.abs(len - target) / target; // 0.0 - x, not -x: a perfect length scores 0.0, not -0.0
    }

    /** scale · len. */
    public static double linearScore(int len, double scale) {
        return scale * len;
    }
}

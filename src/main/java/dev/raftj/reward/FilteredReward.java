package dev.raftj.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Wraps a reward and gives {@link Double#NEGATIVE_INFINITY} to degenerate samples, so they are
 * never kept however the inner reward would have scored them (LMFlow's guard against reward
 * hacking: a reward model can love empty or repetitive answers). A sample is degenerate if its
 * length (by the length function: code points by default, or tokens) is below the minimum, or it
 * contains a banned substring. Only the non-degenerate samples are passed to the inner reward.
 */
public final class FilteredReward implements Reward {

    private final Reward inner;
    private final int minLength;
    private final ToIntFunction<String> length;
    private final List<String> banned;

    public FilteredReward(Reward inner, int minLength, ToIntFunction<String> length, List<String> banned) {
        if (minLength < 0) {
            throw new IllegalArgumentException("minimum length must be >= 0, got " + minLength);
        }
        for (String b : banned) {
            if (b.isEmpty()) {
                throw new IllegalArgumentException("a banned substring must not be empty");
            }
        }
        this.inner = inner;
        this.minLength = minLength;
        this.length = length;
        this.banned = List.copyOf(banned);
    }

    public FilteredReward(Reward inner, int minLength, List<String> banned) {
        this(inner, minLength, LengthReward.CODE_POINTS, banned);
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        int n = responses.size();
        double[] scores = new double[n];
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (isDegenerate(responses.get(i), minLength, length, banned)) {
                scores[i] = Double.NEGATIVE_INFINITY;
            } else {
                kept.add(i);
            }
        }
        if (kept.isEmpty()) {
            return scores;
        }
        List<String> keptPrompts = new ArrayList<>(kept.size());
        List<String> keptResponses = new ArrayList<>(kept.size());
        for (int i : kept) {
            keptPrompts.add(prompts.get(i));
            keptResponses.add(responses.get(i));
        }
        double[] innerScores = inner.score(keptPrompts, keptResponses);
        if (innerScores.length != kept.size()) {
            throw new IllegalStateException(inner.name() + " returned " + innerScores.length
                    + " scores for " + kept.size() + " samples");
        }
        for (int j = 0; j < innerScores.length; j++) {
            scores[kept.get(j)] = innerScores[j];
        }
        return scores;
    }

    /** True if the response is shorter than minLength or contains any banned substring. */
    public static boolean isDegenerate(String response, int minLength, ToIntFunction<String> length,
                                       List<String> banned) {
        if (length.applyAsInt(response) < minLength) {
            return true;
        }
        for (String b : banned) {
            if (response.contains(b)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean filters() {
        return true;
    }

    @Override
    public String name() {
        return "filtered(" + inner.name() + ")";
    }
}

package dev.raftj.reward;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code matchValue} if the pattern is found anywhere in the response ({@link java.util.regex.Matcher#find}),
 * else {@code noMatchValue}; by default 1.0 / 0.0. Use a negative match value to penalise a pattern.
 */
public final class RegexReward implements Reward {

    private final Pattern pattern;
    private final double matchValue;
    private final double noMatchValue;

    public RegexReward(Pattern pattern, double matchValue, double noMatchValue) {
        this.pattern = pattern;
        this.matchValue = matchValue;
        this.noMatchValue = noMatchValue;
    }

    public RegexReward(String regex) {
        this(Pattern.compile(regex), 1.0, 0.0);
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] scores = new double[responses.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = pattern.matcher(responses.get(i)).find() ? matchValue : noMatchValue;
        }
        return scores;
    }

    @Override
    public String name() {
        return "regex(" + pattern.pattern() + ")";
    }
}

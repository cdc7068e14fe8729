package example.userreward;

import dev.raftj.reward.Reward;
import java.util.List;
import java.util.Map;

/**
 * A user's reward with arguments, loaded by name in RewardSpecTest: {@code bonus} (default 1.0) if
 * the response contains {@code word} (required), else 0.
 */
public class KeywordReward implements Reward {
    private final String word;
    private final double bonus;

    public KeywordReward(Map<String, Object> args) {
        if (!(args.get("word") instanceof String w)) {
            throw new IllegalArgumentException("args.word is required");
        }
        this.word = w;
        this.bonus = args.containsKey("bonus") ? ((Number) args.get("bonus")).doubleValue() : 1.0;
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        return responses.stream().mapToDouble(r -> r.contains(word) ? bonus : 0.0).toArray();
    }
}

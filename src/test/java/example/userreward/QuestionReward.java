package example.userreward;

import dev.raftj.reward.Reward;
import java.util.List;

/** A user's reward without arguments, loaded by name in RewardSpecTest: 1 if the response ends with '?'. */
public class QuestionReward implements Reward {
    public QuestionReward() {}

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        return responses.stream().mapToDouble(r -> r.endsWith("?") ? 1.0 : 0.0).toArray();
    }
}

package example.userreward;

import dev.raftj.reward.Reward;
import java.util.List;

/** Not public: RewardSpec must refuse it by name. */
class HiddenReward implements Reward {
    public HiddenReward() {}

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        return new double[responses.size()];
    }
}

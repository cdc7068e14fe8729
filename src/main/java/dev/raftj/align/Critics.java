package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import dev.raftj.config.PpoConfig;
import dev.raftj.core.UserError;
import dev.raftj.model.ValueModel;
import dev.raftj.reward.RewardSpec;
import dev.raftj.tasks.RewardModelTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Where PPO's critic comes from: the checkpoint's critic/ when resuming; else the reward model
 * (ppo.critic: reward, or auto when the reward is one model that reads the policy's tokens) or the
 * base policy with a fresh value head (ppo.critic: policy, or auto otherwise).
 */
final class Critics {
    /** The critic's folder inside a checkpoint. */
    static final String DIR = "critic";

    private Critics() {}

    static ValueModel load(AlignmentSetup setup, RunState state) {
        var device = setup.policy().device();
        if (state.policyDir() != null) {
            Path saved = state.policyDir().resolve(DIR);
            if (!Files.isDirectory(saved)) {
                throw new UserError(saved + ": missing: the checkpoint of a ppo run holds its critic there");
            }
            return ValueModel.load(saved, device, 0);
        }
        ValueModel v = ValueModel.load(source(setup), device, Seeds.CRITIC_HEAD.of(setup.config().seed(), 0));
        long context = setup.policy().config().maxPositions;
        if (v.config().maxPositions < context) {
            int longest = 0;
            for (int[] ids : setup.encode(setup.train())) longest = Math.max(longest, ids.length);
            long needed = longest + setup.config().sampling().maxNewTokens();
            if (needed > v.config().maxPositions) {
                throw new UserError(v.config().file + ": the critic's context of " + v.config().maxPositions
                        + " tokens is shorter than the longest prompt + sampling.max_new_tokens (" + needed + ")");
            }
        }
        return v;
    }

    /** The folder a new critic starts from. */
    static Path source(AlignmentSetup setup) {
        PpoConfig.CriticInit init = setup.config().ppo().critic();
        Path policy = setup.referenceDir();
        if (init == PpoConfig.CriticInit.POLICY) return policy;
        Path rm = rewardModel(setup.config().reward());
        boolean fits = rm != null && sameTokenizer(rm, policy);
        if (init == PpoConfig.CriticInit.REWARD) {
            if (rm == null) {
                throw new UserError("ppo.critic: 'reward' needs a reward model (model:DIR, or a task"
                        + " whose reward is a model), but the reward is " + setup.config().reward());
            }
            if (!fits) {
                throw new UserError("ppo.critic: reward: the reward model " + rm + " reads other tokens than the policy "
                        + policy + " (their tokenizer.json differ), so it cannot value the policy's tokens;"
                        + " use critic: policy");
            }
            return rm;
        }
        return fits ? rm : policy;
    }

    /** What the critic was made from, for the log. */
    static String describe(AlignmentSetup setup, RunState state, ValueModel critic) {
        if (state.policyDir() != null) return "continued from " + state.policyDir().resolve(DIR);
        return (critic.freshHead() ? "the policy's body with a fresh value head, from " : "the reward model ")
                + source(setup);
    }

    /** The one reward model a reward spec uses (model:DIR, or a task whose reward is a model), else null. */
    static Path rewardModel(RewardSpec spec) {
        List<RewardSpec.PathRef> paths = spec.paths(null);
        if (paths.size() == 1) return paths.get(0).resolved();
        if (!paths.isEmpty()) return null;
        JsonNode json = spec.toJson();
        String task = json.isTextual() && json.asText().strip().startsWith("task:")
                ? json.asText().strip().substring(5).strip() : json.path("task").isTextual() ? json.get("task").asText() : null;
        if (task == null) return null;
        Task t = Tasks.get(task);
        return t instanceof RewardModelTask rm ? rm.rewardModel() : null;
    }

    private static boolean sameTokenizer(Path a, Path b) {
        try {
            Path ta = a.resolve("tokenizer.json"), tb = b.resolve("tokenizer.json");
            return Files.exists(ta) && Files.exists(tb) && Arrays.equals(Files.readAllBytes(ta), Files.readAllBytes(tb));
        } catch (IOException e) {
            return false;
        }
    }
}

package dev.raftj.align;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.dist.DistEnv;
import dev.raftj.core.UserError;
import dev.raftj.dist.Replicas;
import dev.raftj.dist.World;
import dev.raftj.model.CausalLM;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/** What the alignment loops add when they run data-parallel: the checks before, the audit after each stage. */
public final class DataParallel {
    private DataParallel() {}

    /** Refuses what cannot run data-parallel, before any work: named by field. */
    public static void check(World world, RunConfig c) {
        if (!world.distributed()) return;
        var algorithm = c.algorithm();
        Integer grow = c.rest().growPrompts();
        if ((algorithm == RunConfig.Algorithm.REST || algorithm == RunConfig.Algorithm.REST_EM) && grow != null && grow < world.size()) {
            throw new UserError("rest.grow_prompts " + grow + ": fewer prompts than the " + world.size()
                    + " processes; each process needs at least one");
        }
        int batch = switch (algorithm) {
            case RAFT -> c.raft().batchPrompts();
            case GRPO -> c.grpo().batchPrompts();
            case PPO -> c.ppo().batchPrompts();
            case REST, REST_EM -> world.size();
        };
        if (batch < world.size()) {
            throw new UserError(algorithm.label() + ".batch_prompts " + batch + ": fewer prompts than the "
                    + world.size() + " processes; each process needs at least one");
        }
    }

    /** What must stay identical on every rank: the policy's weights, PPO's critic's, the discriminator's. */
    static List<Tensor> weights(AlignmentSetup setup, List<Tensor> more) {
        List<Tensor> all = policyWeights(setup.policy());
        all.addAll(more);
        if (setup.adversarial() != null) all.addAll(setup.adversarial().discriminator().model().parameters());
        return all;
    }

    static List<Tensor> weights(AlignmentSetup setup) {
        return weights(setup, List.of());
    }

    /**
     * Each process of a data-parallel run on "cuda" takes the GPU of its LOCAL_RANK, as torchrun's
     * scripts do (an explicit cuda:N is kept); the saved configuration keeps "cuda".
     */
    public static RunConfig onLocalDevice(DistEnv env, RunConfig c) {
        if (!env.distributed() || !c.device().strip().equals("cuda")) return c;
        return ConfigLoader.withChanges(c, java.util.Map.of("device", "cuda:" + env.localRank()), java.nio.file.Path.of("LOCAL_RANK"));
    }

    /**
     * After a stage: the replicas' weights are checked to be identical (the run stops if not), the
     * fingerprint goes to standard error, and the seconds spent in collectives join the stage's
     * time as "communication" (already counted inside the other phases, waits for slower ranks included).
     */
    static void endOfStage(World world, CausalLM policy, int stage, Timer timer) {
        endOfStage(world, policyWeights(policy), stage, timer);
    }

    /** The policy's base weights and, with LoRA, its adapter's (the part that trains). */
    private static List<Tensor> policyWeights(CausalLM policy) {
        List<Tensor> all = new ArrayList<>(policy.parameters());
        if (policy.adapter() != null) all.addAll(policy.adapter().parameters());
        return all;
    }

    /** As above, over these weights (see {@link #weights}). */
    static void endOfStage(World world, List<Tensor> weights, int stage, Timer timer) {
        String fp = Replicas.verifyIdentical(world, weights, "after stage " + stage);
        System.err.println("raftj: rank " + world.rank() + " of " + world.size() + ": weights after stage " + stage
                + ": fingerprint " + fp + " (identical on every rank)");
        timer.split().put("communication", world.takeCommSeconds());
    }
}

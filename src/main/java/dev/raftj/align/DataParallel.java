package dev.raftj.align;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.dist.DistEnv;
import dev.raftj.core.UserError;
import dev.raftj.dist.Replicas;
import dev.raftj.dist.World;
import dev.raftj.model.CausalLM;

/** What the alignment loops add when they run data-parallel: the checks before, the audit after each stage. */
public final class DataParallel {
    private DataParallel() {}

    /** Refuses what is not data-parallel (yet), before any work: named by field. */
    public static void check(World world, RunConfig c) {
        if (!world.distributed()) return;
        var algorithm = c.algorithm();
        if (algorithm == RunConfig.Algorithm.GRPO || algorithm == RunConfig.Algorithm.PPO) {
            throw new UserError("algorithm " + algorithm.label() + ": runs in one process; data-parallel runs"
                    + " (WORLD_SIZE " + world.size() + ") are RAFT's, ReST's and ReST-EM's so far");
        }
        if (c.reward().usesAdversarial()) {
            throw new UserError("reward 'adversarial': its discriminator trains in one process; run it without WORLD_SIZE");
        }
        Integer grow = c.rest().growPrompts();
        if (algorithm != RunConfig.Algorithm.RAFT && grow != null && grow < world.size()) {
            throw new UserError("rest.grow_prompts " + grow + ": fewer prompts than the " + world.size()
                    + " processes; each process needs at least one");
        }
        if (algorithm == RunConfig.Algorithm.RAFT && c.raft().batchPrompts() < world.size()) {
            throw new UserError("raft.batch_prompts " + c.raft().batchPrompts() + ": fewer prompts than the "
                    + world.size() + " processes; each process needs at least one");
        }
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
        String fp = Replicas.verifyIdentical(world, policy.parameters(), "after stage " + stage);
        System.err.println("raftj: rank " + world.rank() + " of " + world.size() + ": weights after stage " + stage
                + ": fingerprint " + fp + " (identical on every rank)");
        timer.split().put("communication", world.takeCommSeconds());
    }
}

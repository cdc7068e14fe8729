package dev.raftj.align;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.RankingConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.generate.Generator;
import dev.raftj.kernels.Kernels;
import dev.raftj.reward.RewardGuard;
import dev.raftj.select.KernelRanking;
import dev.raftj.train.SftStep;
import dev.raftj.dist.GradientAllReduce;
import dev.raftj.dist.World;
import java.util.List;
import java.util.function.Consumer;

/**
 * RAFT (Dong et al. 2023). Stage 0 evaluates the base policy; then each stage draws K responses
 * for each of b prompts from the current policy, scores them, keeps the best (per prompt, or the
 * top fraction of the batch; optionally ranked by r − β·log(π/π0)), fine-tunes on the kept set
 * with the prompt masked, evaluates, and appends one line to metrics.jsonl and a checkpoint.
 */
public final class Raft {
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<StageMetrics> onStage;
    private final World world;

    public Raft(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {
        this(setup, state, onStage, World.single());
    }

    /**
     * Data-parallel RAFT over {@code world}: rank 0's weights are broadcast first; each rank samples
     * and scores its shard of every batch with its own seed; the samples are all-gathered so that
     * every rank ranks the whole batch and logs the same metrics; fine-tuning splits each minibatch
     * over the ranks and all-reduces the gradients, so weights and AdamW states stay identical
     * (checked after every stage).
     */
    public Raft(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage, World world) {
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
        this.world = world;
    }

    /** Runs the remaining stages; returns the summary (also written to summary.json). */
    public RunSummary run() {
        RunConfig c = setup.config();
        RaftConfig raft = c.raft();
        boolean klRanking = raft.ranking().klBeta() > 0;
        Batches<Prompt> batches = new Batches<>(setup.train(), raft.batchPrompts(), c.seed(), state.cursor());
        Generator generator = new Generator(setup.policy(), c.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), c.onRewardError());
        Evaluator evaluator = new Evaluator(setup, world);
        SftStep trainer = state.trainer(setup.policy());
        if (world.distributed()) {
            world.broadcast(setup.policy().parameters());
            trainer.setGradientSync(new GradientAllReduce(world));
        }
        Adversarial.joinWorld(setup, world);
        Adversarial.warmUpOnce(setup, state, generator);
        evaluator.logBaseOnce(state, onStage);
        world.takeCommSeconds(); // each stage reports its own
        while (state.stage() < raft.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            // 1-2. draw K responses for each of b prompts and score them (log π, log π0 when ranking by KL);
            // data-parallel: each rank its shard, then the whole batch gathered on every rank
            List<Prompt> batch = batches.next();
            SampleBatch local = SampleBatch.draw(setup, generator, guard, world.shard(batch),
                    world.seed(Seeds.SAMPLE.of(c.seed(), stage)), klRanking, timer);
            SampleBatch samples = world.distributed()
                    ? timer.time("gather", () -> GatheredSamples.of(world, setup, batch, local)) : local;
            // 3. keep the best
            int[] kept = timer.time("select", () -> select(samples, raft.ranking(), c.sampling().k()));
            // 4. fine-tune on them
            double[] losses = timer.time("train", () -> FineTune.run(trainer, c.sft(), c.sft().lr(),
                    samples.keptPrompts(kept), samples.keptResponses(kept), c.seed(), stage, setup.padId(), world));
            // 4b. RLGAF: the discriminator measured on, then trained against, this stage's samples
            Adversarial adv = setup.adversarial();
            StageMetrics.Adversarial a = adv == null ? null
                    : timer.time("discriminator", () -> adv.afterStage(samples, c.seed(), stage));
            // 5. evaluate the updated policy, log the stage, checkpoint
            StageMetrics.Eval eval = timer.time("eval", evaluator::evaluate);
            if (world.distributed()) DataParallel.endOfStage(world, DataParallel.weights(setup), stage, timer);
            StageMetrics line = StageMetrics.of(stage, null, samples.stats(kept, losses), eval, timer, null, a);
            state.advance(batches.cursor(), line, trainer, adv == null ? null : (dir, json) -> adv.save(dir));
            onStage.accept(line);
        }
        return state.finish();
    }

    /** Indices of the kept samples, best first: local top-m per prompt or the global top fraction. */
    private int[] select(SampleBatch samples, RankingConfig r, int k) {
        KernelRanking.Keys keys = new KernelRanking.Keys(samples.scored().rewards(), samples.scored().valid(),
                samples.logp(), samples.logpRef(), r.klBeta());
        Kernels kernels = Kernels.forDevice(setup.policy().device());
        return r.mode() == RankingConfig.Mode.LOCAL
                ? KernelRanking.localTopM(kernels, setup.policy().device(), keys, samples.promptCount(), k, r.m())
                : KernelRanking.globalTopFraction(kernels, setup.policy().device(), keys, r.fractionFor(k));
    }
}

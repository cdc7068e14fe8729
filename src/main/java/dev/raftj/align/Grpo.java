package dev.raftj.align;

import dev.raftj.config.GrpoConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.dist.GradientAllReduce;
import dev.raftj.dist.RolloutShards;
import dev.raftj.dist.World;
import dev.raftj.generate.Generator;
import dev.raftj.reward.RewardGuard;
import dev.raftj.train.Advantages;
import dev.raftj.train.PolicyLosses;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * GRPO (Shao et al. 2024; TRL's GRPOTrainer), the baseline without a critic. Stage 0 evaluates the
 * base policy; then each stage draws K responses for each of b prompts from the current policy,
 * scores them, turns each prompt's K rewards into advantages (r − mean)/(std + 1e-4), recomputes
 * log π_old of every response token teacher-forced (and log π_ref when β &gt; 0), and takes
 * iterations × minibatches AdamW steps on the clipped ratio loss (+ β·k3 KL to π0), aggregated
 * per token or per sequence. Then it evaluates, logs the stage and checkpoints, as RAFT does.
 *
 * <p>Data-parallel over a {@link World}: rank 0's weights are broadcast first; each rank samples
 * its shard of every batch with its own seed, so a prompt's K samples and their group statistics
 * stay on one rank; the minibatches are one process's (see {@link RolloutShards}), each rank
 * computes the loss of its rows and the gradients are all-reduced weighted by loss tokens (or rows
 * with the sequence aggregation), so weights and AdamW states stay identical (checked each stage);
 * the samples are all-gathered for the stage's metrics and the discriminator.
 */
public final class Grpo {
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<StageMetrics> onStage;
    private final World world;

    public Grpo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {
        this(setup, state, onStage, World.single());
    }

    public Grpo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage, World world) {
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
        this.world = world;
    }

    public RunSummary run() {
        RunConfig c = setup.config();
        GrpoConfig g = c.grpo();
        int k = c.sampling().k();
        Batches<Prompt> batches = new Batches<>(setup.train(), g.batchPrompts(), c.seed(), state.cursor());
        Generator generator = new Generator(setup.policy(), c.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), c.onRewardError());
        Evaluator evaluator = new Evaluator(setup, world);
        SftStep trainer = trainer();
        Adversarial.warmUpOnce(setup, state, generator);
        evaluator.logBaseOnce(state, onStage);
        world.takeCommSeconds(); // each stage reports its own
        while (state.stage() < g.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            // 1-2. draw K responses for each of b prompts and score them (data-parallel: this rank's shard)
            List<Prompt> batch = batches.next();
            SampleBatch samples = SampleBatch.draw(setup, generator, guard, world.shard(batch),
                    world.seed(Seeds.SAMPLE.of(c.seed(), stage)), false, timer);
            Trained t = train(samples, trainer, g, stage, timer);
            double[] adv = t.advantages();
            double[][] old = t.old(), ref = t.ref();
            Update u = t.update();
            // the whole stage's samples on every rank, for its metrics and the discriminator
            SampleBatch all = world.distributed() ? timer.time("gather", () -> GatheredSamples.of(world, setup, batch, samples)) : samples;
            double[] allAdv = world.allGather(adv);
            boolean[] allValid = all.scored().valid();
            // 5b. RLGAF: the discriminator measured on, then trained against, this stage's samples
            Adversarial adversarial = setup.adversarial();
            StageMetrics.Adversarial a = adversarial == null ? null
                    : timer.time("discriminator", () -> adversarial.afterStage(all, c.seed(), stage));
            // 6. evaluate the updated policy, log the stage, checkpoint
            StageMetrics.Eval eval = timer.time("eval", evaluator::evaluate);
            int[] kept = java.util.stream.IntStream.range(0, allAdv.length).filter(i -> allValid[i] && allAdv[i] != 0).toArray();
            Double klRef = ref == null ? null
                    : StageMetrics.finite(Advantages.tokenMean(Advantages.kl(Advantages.KlEstimator.K3, old, ref), world::allReduceSum));
            if (world.distributed()) DataParallel.endOfStage(world, DataParallel.weights(setup), stage, timer);
            StageMetrics line = StageMetrics.of(stage, null, all.stats(kept, u.losses), eval, timer,
                    new StageMetrics.PolicyGradient(StageMetrics.finite(u.policyLoss), StageMetrics.finite(u.clipFraction),
                            StageMetrics.finite(u.approxKl), StageMetrics.finite(u.entropy), klRef,
                            Advantages.zeroStdFraction(all.scored().rewards(), allValid, k), null, null, null, null), a);
            state.advance(batches.cursor(), line, trainer,
                    adversarial == null ? null : (dir, json) -> adversarial.save(dir));
            onStage.accept(line);
        }
        return state.finish();
    }

    /** The optimizer (continued on resume); data-parallel: rank 0's weights everywhere, gradients all-reduced. */
    SftStep trainer() {
        GrpoConfig g = setup.config().grpo();
        SftStep trainer = state.trainer(setup.policy(), List.of(), g.lr(), g.weightDecay(), g.gradClip());
        if (world.distributed()) {
            world.broadcast(setup.policy().parameters());
            trainer.setGradientSync(new GradientAllReduce(world));
        }
        Adversarial.joinWorld(setup, world);
        return trainer;
    }

    /** A stage's advantages, log π_old and log π_ref (null when β = 0) of the trained rows, and its updates. */
    record Trained(double[] advantages, double[][] old, double[][] ref, Update update) {}

    /** Steps 3-5 of a stage on this rank's samples (a shard of whole prompt groups). */
    Trained train(SampleBatch samples, SftStep trainer, GrpoConfig g, int stage, Timer timer) {
        int k = setup.config().sampling().k();
        // 3. group-relative advantages (a group lives on one rank); the valid samples are trained on
        double[] rewards = samples.scored().rewards();
        boolean[] valid = samples.scored().valid();
        double[] adv = timer.time("advantages",
                () -> Advantages.groupAdvantages(rewards, valid, k, g.scaleRewards().scale(), world::allReduceSum));
        Rollout roll = Rollout.of(samples, valid, adv);
        // 4. log π_old per token (and log π_ref), teacher-forced on the training tokens
        double[][] old = timer.time("logprobs", () -> ResponseTokens.logprobs(setup.policy(), roll.prompts, roll.responses, 64));
        double[][] ref = g.beta() > 0 ? timer.time("reference",
                () -> ResponseTokens.logprobs(setup.reference(), roll.prompts, roll.responses, 64)) : null;
        // 5. iterations × minibatches steps on the clipped loss
        Update u = timer.time("train", () -> update(trainer, g, roll, old, ref, stage));
        return new Trained(adv, old, ref, u);
    }

    /** The samples trained on (valid rewards): prompt and response tokens and each one's advantage. */
    record Rollout(List<int[]> prompts, List<int[]> responses, double[] advantages) {
        static Rollout of(SampleBatch samples, boolean[] valid, double[] adv) {
            List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
            List<Double> a = new ArrayList<>();
            for (int i = 0; i < valid.length; i++) {
                if (!valid[i]) continue;
                p.add(samples.promptIds().get(i));
                r.add(samples.responses().tokens().get(i));
                a.add(adv[i]);
            }
            return new Rollout(p, r, a.stream().mapToDouble(Double::doubleValue).toArray());
        }

        int size() {
            return prompts.size();
        }
    }

    /** Per optimizer step: total loss; means over the steps of the statistics. */
    record Update(double[] losses, double policyLoss, double clipFraction, double approxKl, double entropy, int idleSteps) {}

    private Update update(SftStep trainer, GrpoConfig g, Rollout roll, double[][] old, double[][] ref, int stage) {
        RolloutShards shards = RolloutShards.of(world, roll.size());
        int n = shards.total();
        List<Double> losses = new ArrayList<>();
        StepStats stats3 = new StepStats(3);
        double pg = 0;
        int idle = 0;
        long shuffleSeed = Seeds.SHUFFLE.of(setup.config().seed(), stage);
        for (int it = 0; it < g.iterations(); it++) {
            int[] order = Shuffle.permutation(n, Shuffle.deriveSeed(shuffleSeed, it));
            for (int m = 0; m < g.minibatches(); m++) {
                int from = (int) ((long) m * n / g.minibatches()), to = (int) ((long) (m + 1) * n / g.minibatches());
                if (to <= from) continue;
                int[] mine = shards.part(order, from, to);
                if (mine.length == 0) { // this rank holds none of the minibatch's rows: it joins with nothing
                    idle++;
                    double loss = trainer.idleStep().loss();
                    losses.add(loss);
                    pg += loss;
                    stats3.add(new double[3], 0);
                    continue;
                }
                List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
                double[][] o = new double[mine.length][], rf = ref == null ? null : new double[mine.length][];
                double[] a = new double[mine.length];
                for (int j = 0; j < mine.length; j++) {
                    int i = mine[j];
                    p.add(roll.prompts.get(i));
                    r.add(roll.responses.get(i));
                    o[j] = old[i];
                    if (ref != null) rf[j] = ref[i];
                    a[j] = roll.advantages[i];
                }
                try (PointerScope scope = new PointerScope()) {
                    ResponseTokens b = ResponseTokens.of(p, r, setup.padId(), setup.policy().device());
                    Tensor oldLogp = b.rows(o), advantages = b.perRow(a), refLogp = rf == null ? null : b.rows(rf);
                    double[] stats = new double[3];
                    double tokens = dev.raftj.torch.Torch.item(b.mask().sum());
                    // the gradients are weighted as the loss averages (tokens or rows); the per-token statistics by tokens
                    double weight = g.lossAggregation().aggregation() == PolicyLosses.Aggregation.TOKEN ? tokens : mine.length;
                    SftStep.Result res = trainer.step(() -> {
                        ResponseTokens.Logprobs lp = b.logprobs(setup.policy(), true);
                        Tensor perToken = PolicyLosses.clippedPolicyLoss(lp.logp(), oldLogp, advantages, g.epsilon(), g.epsilonHigh());
                        if (refLogp != null) {
                            perToken = perToken.add(PolicyLosses.kl(Advantages.KlEstimator.K3, lp.logp(), refLogp)
                                    .mul(new Scalar(g.beta())));
                        }
                        Tensor loss = PolicyLosses.aggregate(perToken, b.mask(), g.lossAggregation().aggregation());
                        stats[0] = PolicyLosses.clipFraction(lp.logp(), oldLogp, advantages, b.mask(), g.epsilon(), g.epsilonHigh());
                        stats[1] = PolicyLosses.approxKl(lp.logp(), oldLogp, b.mask());
                        stats[2] = PolicyLosses.maskedMean(lp.entropy(), b.mask());
                        return loss;
                    }, weight);
                    losses.add(res.loss());
                    pg += res.loss();
                    stats3.add(stats, tokens);
                }
            }
        }
        double s = losses.isEmpty() ? Double.NaN : losses.size();
        double[] means = stats3.means(world);
        return new Update(losses.stream().mapToDouble(Double::doubleValue).toArray(), pg / s, means[0], means[1], means[2], idle);
    }
}

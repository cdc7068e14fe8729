package dev.raftj.align;

import dev.raftj.config.PpoConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.dist.GradientAllReduce;
import dev.raftj.dist.RolloutShards;
import dev.raftj.dist.World;
import dev.raftj.generate.Generator;
import dev.raftj.model.ValueModel;
import dev.raftj.reward.RewardGuard;
import dev.raftj.train.Advantages;
import dev.raftj.train.KlController;
import dev.raftj.train.PolicyLosses;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * PPO for RLHF (Ziegler et al. 2019; Ouyang et al. 2022), as TRL's PPOTrainer and OpenRLHF run it:
 * the baseline RAFT is measured against. Actor = the policy; critic = a value head on its own body
 * ({@link Critics}); the frozen initial policy π0 is the reference. Stage 0 evaluates the base
 * policy; each stage then draws K responses for each of b prompts, scores them, computes per
 * response token log π_old, log π_ref and the critic's value (teacher-forced, no gradient), shapes
 * the reward (−β·KL per token, the score on the last token), runs GAE and whitens the advantages,
 * and takes epochs × minibatches AdamW steps on clipped policy loss + vf_coef · clipped value loss
 * (actor and critic in one optimizer). An adaptive β moves after the stage. The checkpoint holds
 * the policy, the critic (checkpoint/critic/), the optimizer and β, so a resume is exact.
 *
 * <p>Data-parallel over a {@link World}, as {@link Grpo}: each rank rolls out its shard of the
 * prompts with its own seed; the advantages are whitened with the whole rollout's mean and
 * variance, and the KL, its row mean (for β) and the explained variance come from sums all-reduced
 * over the ranks, never from one rank's rows; actor and critic gradients are all-reduced weighted
 * by loss tokens, so both stay identical on every rank (checked each stage).
 */
public final class Ppo {
    private static final System.Logger LOG = System.getLogger("raftj.ppo");
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<StageMetrics> onStage;
    private final World world;

    public Ppo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {
        this(setup, state, onStage, World.single());
    }

    public Ppo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage, World world) {
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
        this.world = world;
    }

    /** The critic and one optimizer over actor and critic. */
    record Learner(ValueModel critic, SftStep trainer) {}

    /** The critic (continued on resume) and the optimizer; data-parallel: rank 0's weights everywhere, gradients all-reduced. */
    Learner learner() {
        PpoConfig p = setup.config().ppo();
        ValueModel critic = Critics.load(setup, state);
        LOG.log(System.Logger.Level.INFO, "critic: " + Critics.describe(setup, state, critic));
        SftStep trainer = state.trainer(setup.policy(), critic.parameters(), p.lr(), p.weightDecay(), p.gradClip());
        if (world.distributed()) {
            world.broadcast(setup.policy().parameters());
            world.broadcast(critic.parameters());
            trainer.setGradientSync(new GradientAllReduce(world));
        }
        Adversarial.joinWorld(setup, world);
        return new Learner(critic, trainer);
    }

    public RunSummary run() {
        RunConfig c = setup.config();
        PpoConfig p = c.ppo();
        Batches<Prompt> batches = new Batches<>(setup.train(), p.batchPrompts(), c.seed(), state.cursor());
        Generator generator = new Generator(setup.policy(), c.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), c.onRewardError());
        Evaluator evaluator = new Evaluator(setup, world);
        Learner learner = learner();
        ValueModel critic = learner.critic();
        SftStep trainer = learner.trainer();
        KlController beta = p.klTarget() == null ? KlController.fixed(p.klCoef())
                : KlController.adaptive(p.klCoef(), p.klTarget(), p.klHorizon());
        if (state.saved("kl_coef") != null) beta.set(state.saved("kl_coef").doubleValue());
        Adversarial.warmUpOnce(setup, state, generator);
        evaluator.logBaseOnce(state, onStage);
        world.takeCommSeconds(); // each stage reports its own
        while (state.stage() < p.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            // 1-2. draw K responses for each of b prompts and score them (data-parallel: this rank's shard)
            List<Prompt> batch = batches.next();
            SampleBatch samples = SampleBatch.draw(setup, generator, guard, world.shard(batch),
                    world.seed(Seeds.SAMPLE.of(c.seed(), stage)), false, timer);
            // 3-5. log-probabilities, values, advantages, the update
            double b = beta.value();
            Trained t = train(samples, critic, trainer, b, stage, timer);
            // the whole stage's samples on every rank, for its metrics and the discriminator
            SampleBatch all = world.distributed() ? timer.time("gather", () -> GatheredSamples.of(world, setup, batch, samples)) : samples;
            boolean[] valid = all.scored().valid();
            int[] trained = java.util.stream.IntStream.range(0, valid.length).filter(i -> valid[i]).toArray();
            // 5b. RLGAF: the discriminator measured on, then trained against, this stage's samples
            Adversarial adversarial = setup.adversarial();
            StageMetrics.Adversarial a = adversarial == null ? null
                    : timer.time("discriminator", () -> adversarial.afterStage(all, c.seed(), stage));
            // 6. evaluate the updated policy, log the stage, move β, checkpoint (critic and β with it)
            StageMetrics.Eval eval = timer.time("eval", evaluator::evaluate);
            if (world.distributed()) DataParallel.endOfStage(world, DataParallel.weights(setup, critic.parameters()), stage, timer);
            Update u = t.update();
            StageMetrics line = StageMetrics.of(stage, null, all.stats(trained, u.losses), eval, timer,
                    new StageMetrics.PolicyGradient(StageMetrics.finite(u.policyLoss), StageMetrics.finite(u.clipFraction),
                            StageMetrics.finite(u.approxKl), StageMetrics.finite(u.entropy),
                            StageMetrics.finite(t.klMean()), null, StageMetrics.finite(u.valueLoss),
                            StageMetrics.finite(u.valueClipFraction), StageMetrics.finite(t.explainedVariance()), b), a);
            beta.update(t.rowKl(), trained.length);
            state.advance(batches.cursor(), line, trainer, (dir, json) -> {
                critic.save(dir.resolve(Critics.DIR));
                json.put("kl_coef", beta.value());
                if (adversarial != null) adversarial.save(dir);
            });
            onStage.accept(line);
        }
        return state.finish();
    }

    /**
     * A stage's update and its figures over the whole rollout (every rank's rows): token mean of
     * the KL penalty, mean of its row means (β's input), explained variance.
     */
    record Trained(Update update, double klMean, double rowKl, double explainedVariance) {}

    /**
     * Steps 3-5 on this rank's samples: per token log π_old, log π_ref and V (teacher-forced, no
     * gradient); shaped rewards, GAE, advantages whitened over the whole rollout; epochs ×
     * minibatches steps on the clipped policy and value losses.
     */
    Trained train(SampleBatch samples, ValueModel critic, SftStep trainer, double b, int stage, Timer timer) {
        PpoConfig p = setup.config().ppo();
        Rollout roll = Rollout.of(samples, setup.eosId());
        double[][] old = timer.time("logprobs", () -> ResponseTokens.logprobs(setup.policy(), roll.prompts, roll.responses, 64));
        double[][] ref = timer.time("reference", () -> ResponseTokens.logprobs(setup.reference(), roll.prompts, roll.responses, 64));
        double[][] values = timer.time("values", () -> values(critic, roll));
        double[][] kl = Advantages.kl(p.klEstimator().estimator(), old, ref);
        Advantages.Gae gae = timer.time("advantages", () -> Advantages.gae(Advantages.shapedRewards(
                Advantages.scores(roll.rewards, roll.endedWithEos, p.missingEosPenalty(), p.rewardClip()), kl, b),
                values, p.gamma(), p.lam()));
        double[][] advantages = Advantages.whiten(gae.advantages(), true, world::allReduceSum);
        Update u = timer.time("train", () -> update(trainer, critic, p, roll, old, values, advantages, gae.returns(), stage));
        double[] rowKl = Advantages.meanOfRowMeans(kl, world::allReduceSum);
        return new Trained(u, Advantages.tokenMean(kl, world::allReduceSum), rowKl[0],
                Advantages.explainedVariance(values, gae.returns(), world::allReduceSum));
    }

    /** The samples trained on (valid rewards): tokens, rewards, whether each ended with end-of-sequence. */
    record Rollout(int[] indices, List<int[]> prompts, List<int[]> responses, double[] rewards, boolean[] endedWithEos) {
        static Rollout of(SampleBatch samples, int eosId) {
            boolean[] valid = samples.scored().valid();
            int[] idx = java.util.stream.IntStream.range(0, valid.length).filter(i -> valid[i]).toArray();
            List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
            double[] rewards = new double[idx.length];
            boolean[] eos = new boolean[idx.length];
            for (int j = 0; j < idx.length; j++) {
                int[] tokens = samples.responses().tokens().get(idx[j]);
                p.add(samples.promptIds().get(idx[j]));
                r.add(tokens);
                rewards[j] = samples.scored().rewards()[idx[j]];
                eos[j] = eosId >= 0 && tokens.length > 0 && tokens[tokens.length - 1] == eosId;
            }
            return new Rollout(idx, p, r, rewards, eos);
        }

        int size() {
            return prompts.size();
        }
    }

    /** The critic's value of the state before each response token, teacher-forced without gradient. */
    private double[][] values(ValueModel critic, Rollout roll) {
        double[][] out = new double[roll.size()][];
        for (int start = 0; start < out.length; start += 64) {
            int end = Math.min(out.length, start + 64);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                ResponseTokens b = ResponseTokens.of(new ArrayList<>(roll.prompts.subList(start, end)),
                        new ArrayList<>(roll.responses.subList(start, end)), setup.padId(), setup.policy().device());
                double[][] rows = b.ragged(b.gather(critic.values(b.batch().ids(), b.batch().mask())));
                System.arraycopy(rows, 0, out, start, rows.length);
            }
        }
        return out;
    }

    /** Per optimizer step: total loss; means over the steps of the statistics. */
    record Update(double[] losses, double policyLoss, double valueLoss, double clipFraction, double approxKl,
                  double entropy, double valueClipFraction) {}

    private Update update(SftStep trainer, ValueModel critic, PpoConfig p, Rollout roll, double[][] old,
                         double[][] values, double[][] advantages, double[][] returns, int stage) {
        RolloutShards shards = RolloutShards.of(world, roll.size());
        int n = shards.total();
        List<Double> losses = new ArrayList<>();
        StepStats stepStats = new StepStats(6);
        long shuffleSeed = Seeds.SHUFFLE.of(setup.config().seed(), stage);
        for (int epoch = 0; epoch < p.epochs(); epoch++) {
            int[] order = Shuffle.permutation(n, Shuffle.deriveSeed(shuffleSeed, epoch));
            for (int m = 0; m < p.minibatches(); m++) {
                int from = (int) ((long) m * n / p.minibatches()), to = (int) ((long) (m + 1) * n / p.minibatches());
                if (to <= from) continue;
                int[] mine = shards.part(order, from, to);
                if (mine.length == 0) { // this rank holds none of the minibatch's rows: it joins with nothing
                    losses.add(trainer.idleStep().loss());
                    stepStats.add(new double[6], 0);
                    continue;
                }
                List<int[]> pr = new ArrayList<>(), rs = new ArrayList<>();
                int rows = mine.length;
                double[][] o = new double[rows][], v = new double[rows][], a = new double[rows][], ret = new double[rows][];
                for (int j = 0; j < rows; j++) {
                    int i = mine[j];
                    pr.add(roll.prompts.get(i));
                    rs.add(roll.responses.get(i));
                    o[j] = old[i];
                    v[j] = values[i];
                    a[j] = advantages[i];
                    ret[j] = returns[i];
                }
                try (PointerScope scope = new PointerScope()) {
                    ResponseTokens b = ResponseTokens.of(pr, rs, setup.padId(), setup.policy().device());
                    Tensor oldLogp = b.rows(o), oldValues = b.rows(v), adv = b.rows(a), rets = b.rows(ret), mask = b.mask();
                    double[] stats = new double[6];
                    double tokens = dev.raftj.torch.Torch.item(mask.sum());
                    SftStep.Result res = trainer.step(() -> {
                        ResponseTokens.Logprobs lp = b.logprobs(setup.policy(), true);
                        Tensor vpred = b.gather(critic.values(b.batch().ids(), b.batch().mask()));
                        Tensor pg = PolicyLosses.aggregate(PolicyLosses.clippedPolicyLoss(lp.logp(), oldLogp, adv, p.clip(), p.clip()),
                                mask, PolicyLosses.Aggregation.TOKEN);
                        Tensor vf = PolicyLosses.valueLoss(vpred, oldValues, rets, mask, p.valueClip(), PolicyLosses.Aggregation.TOKEN);
                        stats[0] = dev.raftj.torch.Torch.item(pg);
                        stats[1] = dev.raftj.torch.Torch.item(vf);
                        stats[2] = PolicyLosses.clipFraction(lp.logp(), oldLogp, adv, mask, p.clip(), p.clip());
                        stats[3] = PolicyLosses.approxKl(lp.logp(), oldLogp, mask);
                        stats[4] = PolicyLosses.maskedMean(lp.entropy(), mask);
                        stats[5] = PolicyLosses.valueClipFraction(vpred, oldValues, rets, mask, p.valueClip());
                        return pg.add(vf.mul(new Scalar(p.vfCoef())));
                    }, tokens); // both losses are token means over the same mask
                    losses.add(res.loss());
                    stepStats.add(stats, tokens);
                }
            }
        }
        double[] m = stepStats.means(world);
        return new Update(losses.stream().mapToDouble(Double::doubleValue).toArray(), m[0], m[1], m[2], m[3], m[4], m[5]);
    }
}

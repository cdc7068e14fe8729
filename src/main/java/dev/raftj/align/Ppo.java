package dev.raftj.align;

import dev.raftj.config.PpoConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
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
 */
public final class Ppo {
    private static final System.Logger LOG = System.getLogger("raftj.ppo");
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<StageMetrics> onStage;

    public Ppo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
    }

    public RunSummary run() {
        RunConfig c = setup.config();
        PpoConfig p = c.ppo();
        Batches<Prompt> batches = new Batches<>(setup.train(), p.batchPrompts(), c.seed(), state.cursor());
        Generator generator = new Generator(setup.policy(), c.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), c.onRewardError());
        Evaluator evaluator = new Evaluator(setup);
        ValueModel critic = Critics.load(setup, state);
        LOG.log(System.Logger.Level.INFO, "critic: " + Critics.describe(setup, state, critic));
        SftStep trainer = state.trainer(setup.policy(), critic.parameters(), p.lr(), p.weightDecay(), p.gradClip());
        KlController beta = p.klTarget() == null ? KlController.fixed(p.klCoef())
                : KlController.adaptive(p.klCoef(), p.klTarget(), p.klHorizon());
        if (state.saved("kl_coef") != null) beta.set(state.saved("kl_coef").doubleValue());
        Adversarial.warmUpOnce(setup, state, generator);
        evaluator.logBaseOnce(state, onStage);
        while (state.stage() < p.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            // 1-2. draw K responses for each of b prompts and score them
            SampleBatch samples = SampleBatch.draw(setup, generator, guard, batches.next(),
                    Seeds.SAMPLE.of(c.seed(), stage), false, timer);
            Rollout roll = Rollout.of(samples, setup.eosId());
            // 3. per token: log π_old, log π_ref, V (teacher-forced, no gradient)
            double[][] old = timer.time("logprobs", () -> ResponseTokens.logprobs(setup.policy(), roll.prompts, roll.responses, 64));
            double[][] ref = timer.time("reference", () -> ResponseTokens.logprobs(setup.reference(), roll.prompts, roll.responses, 64));
            double[][] values = timer.time("values", () -> values(critic, roll));
            // 4. shaped rewards, GAE, whitened advantages
            double b = beta.value();
            double[][] kl = Advantages.kl(p.klEstimator().estimator(), old, ref);
            Advantages.Gae gae = timer.time("advantages", () -> Advantages.gae(Advantages.shapedRewards(
                    Advantages.scores(roll.rewards, roll.endedWithEos, p.missingEosPenalty(), p.rewardClip()), kl, b),
                    values, p.gamma(), p.lam()));
            double[][] advantages = Advantages.whiten(gae.advantages(), true);
            // 5. epochs × minibatches steps on the clipped policy and value losses
            Update u = timer.time("train", () -> update(trainer, critic, p, roll, old, values, advantages, gae.returns(), stage));
            // 5b. RLGAF: the discriminator measured on, then trained against, this stage's samples
            Adversarial adversarial = setup.adversarial();
            StageMetrics.Adversarial a = adversarial == null ? null
                    : timer.time("discriminator", () -> adversarial.afterStage(samples, c.seed(), stage));
            // 6. evaluate the updated policy, log the stage, move β, checkpoint (critic and β with it)
            StageMetrics.Eval eval = timer.time("eval", evaluator::evaluate);
            StageMetrics line = StageMetrics.of(stage, null, samples.stats(roll.indices, u.losses), eval, timer,
                    new StageMetrics.PolicyGradient(StageMetrics.finite(u.policyLoss), StageMetrics.finite(u.clipFraction),
                            StageMetrics.finite(u.approxKl), StageMetrics.finite(u.entropy),
                            StageMetrics.finite(Advantages.tokenMean(kl)), null, StageMetrics.finite(u.valueLoss),
                            StageMetrics.finite(u.valueClipFraction),
                            StageMetrics.finite(Advantages.explainedVariance(values, gae.returns())), b), a);
            beta.update(Advantages.meanOfRowMeans(kl), roll.size());
            state.advance(batches.cursor(), line, trainer, (dir, json) -> {
                critic.save(dir.resolve(Critics.DIR));
                json.put("kl_coef", beta.value());
                if (adversarial != null) adversarial.save(dir);
            });
            onStage.accept(line);
        }
        return state.finish();
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
        int n = roll.size();
        List<Double> losses = new ArrayList<>();
        double[] sums = new double[6];
        int steps = 0;
        long shuffleSeed = Seeds.SHUFFLE.of(setup.config().seed(), stage);
        for (int epoch = 0; epoch < p.epochs(); epoch++) {
            int[] order = Shuffle.permutation(n, Shuffle.deriveSeed(shuffleSeed, epoch));
            for (int m = 0; m < p.minibatches(); m++) {
                int from = (int) ((long) m * n / p.minibatches()), to = (int) ((long) (m + 1) * n / p.minibatches());
                if (to <= from) continue;
                List<int[]> pr = new ArrayList<>(), rs = new ArrayList<>();
                double[][] o = new double[to - from][], v = new double[to - from][], a = new double[to - from][],
                        ret = new double[to - from][];
                for (int j = from; j < to; j++) {
                    int i = order[j];
                    pr.add(roll.prompts.get(i));
                    rs.add(roll.responses.get(i));
                    o[j - from] = old[i];
                    v[j - from] = values[i];
                    a[j - from] = advantages[i];
                    ret[j - from] = returns[i];
                }
                try (PointerScope scope = new PointerScope()) {
                    ResponseTokens b = ResponseTokens.of(pr, rs, setup.padId(), setup.policy().device());
                    Tensor oldLogp = b.rows(o), oldValues = b.rows(v), adv = b.rows(a), rets = b.rows(ret), mask = b.mask();
                    double[] stats = new double[6];
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
                    });
                    losses.add(res.loss());
                    for (int s = 0; s < 6; s++) sums[s] += stats[s];
                    steps++;
                }
            }
        }
        double s = steps == 0 ? Double.NaN : steps;
        return new Update(losses.stream().mapToDouble(Double::doubleValue).toArray(), sums[0] / s, sums[1] / s,
                sums[2] / s, sums[3] / s, sums[4] / s, sums[5] / s);
    }
}

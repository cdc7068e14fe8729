package dev.raftj.align;

import dev.raftj.config.RestConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.dist.GradientAllReduce;
import dev.raftj.dist.World;
import dev.raftj.generate.Generator;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import dev.raftj.select.Thresholds;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * ReST (Gulcehre et al. 2023) and ReST-EM (Singh et al. 2023). Stage 0 evaluates the base policy.
 * A Grow step draws K responses for every training prompt (or grow_prompts of them) from the
 * current policy, scores them once and stores them in DIR/grow-G.jsonl; ReST adds the prompts'
 * "reference" responses, scored the same way. ReST then runs one Improve step per threshold
 * τ1 &lt; τ2 &lt; …: keep the Grow samples whose reward clears τ (see {@link Thresholds}) and
 * fine-tune on them, continuing from the previous step with lr·decay^i. ReST-EM keeps the
 * successful samples and fine-tunes from the base model (fresh AdamW) every iteration. Each
 * Improve step is one stage: one metrics line and one checkpoint.
 */
public final class Rest {
    private static final System.Logger LOG = System.getLogger("raftj.rest");
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<StageMetrics> onStage;
    private final boolean em;
    private final World world;

    public Rest(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {
        this(setup, state, onStage, World.single());
    }

    /**
     * Data-parallel ReST over {@code world}, as {@link Raft}: each rank grows its shard of the Grow
     * prompts, the Grow set is all-gathered (rank 0 stores it), every rank filters the whole set
     * and fine-tuning splits the minibatches with the gradients all-reduced.
     */
    public Rest(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage, World world) {
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
        this.em = setup.config().algorithm() == RunConfig.Algorithm.REST_EM;
        this.world = world;
    }

    public RunSummary run() {
        RunConfig c = setup.config();
        RestConfig rest = c.rest();
        int perGrow = em ? 1 : rest.thresholds().size();
        int growPrompts = rest.growPrompts() == null ? setup.train().size() : Math.min(rest.growPrompts(), setup.train().size());
        Batches<Prompt> batches = new Batches<>(setup.train(), growPrompts, Seeds.GROW_PROMPTS.of(c.seed(), 0), state.cursor());
        Generator generator = new Generator(setup.policy(), c.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), c.onRewardError());
        Evaluator evaluator = new Evaluator(setup, world);
        SftStep trainer = state.trainer(setup.policy());
        if (world.distributed()) {
            world.broadcast(setup.policy().parameters());
            trainer.setGradientSync(new GradientAllReduce(world));
        }
        evaluator.logBaseOnce(state, onStage);
        world.takeCommSeconds(); // each stage reports its own
        SampleBatch grow = null;
        while (state.stage() < rest.growSteps() * perGrow) {
            int g = state.stage() / perGrow + 1, i = state.stage() % perGrow, stage = state.stage() + 1;
            Timer timer = new Timer();
            if (i == 0) { // Grow: sample from the current policy, score once, store
                List<Prompt> prompts = batches.next();
                SampleBatch all = grow(prompts, generator, guard, g, timer);
                grow = world.leader() ? GrowFile.write(GrowFile.of(state.dir(), g), all) : all;
            } else if (grow == null) { // resumed between Improve steps: the stored Grow set
                grow = GrowFile.read(GrowFile.of(state.dir(), g), setup);
            }
            // Improve: keep what clears the threshold, fine-tune on it
            SampleBatch samples = grow;
            double cut = em ? successCut(samples, g) : cut(samples, rest, i);
            int[] kept = timer.time("select", () -> Thresholds.keepAtLeast(samples.scored().rewards(),
                    samples.scored().valid(), cut));
            if (!em && i > 0) warnIfSameSet(samples, rest, i, kept, g);
            if (em) {
                setup.resetPolicyToBase();
                trainer.resetState();
            }
            double lr = c.sft().lr() * Math.pow(rest.improveLrDecay(), i);
            double[] losses = timer.time("train", () -> FineTune.run(trainer, c.sft(), lr,
                    samples.keptPrompts(kept), samples.keptResponses(kept), c.seed(), stage, setup.padId(), world));
            StageMetrics.Eval eval = timer.time("eval", evaluator::evaluate);
            if (world.distributed()) DataParallel.endOfStage(world, setup.policy(), stage, timer);
            double tau = em ? cut : rest.thresholds().get(i);
            StageMetrics line = StageMetrics.of(stage, new StageMetrics.Improve(g, tau, cut),
                    samples.stats(kept, losses), eval, timer);
            state.advance(batches.cursor(), line, trainer);
            onStage.accept(line);
        }
        return state.finish();
    }

    /** K responses per prompt from the current policy, plus (ReST) the prompts' reference responses. */
    private SampleBatch grow(List<Prompt> prompts, Generator generator, RewardGuard guard, int g, Timer timer) {
        SampleBatch local = SampleBatch.draw(setup, generator, guard, world.shard(prompts),
                world.seed(Seeds.GROW.of(setup.config().seed(), g)), false, timer);
        SampleBatch drawn = world.distributed()
                ? timer.time("gather", () -> GatheredSamples.of(world, setup, prompts, local)) : local;
        if (em || !setup.config().rest().useReferences()) return drawn;
        List<String> texts = new ArrayList<>(), refs = new ArrayList<>();
        List<int[]> ids = new ArrayList<>(), tokens = new ArrayList<>();
        int eos = setup.eosId();
        for (Prompt p : prompts) {
            String ref = p.field("reference");
            if (ref == null) continue;
            texts.add(p.text());
            ids.add(setup.encode(List.of(p)).get(0));
            refs.add(ref);
            int[] enc = setup.tokenizer().encode(ref);
            int[] t = Arrays.copyOf(enc, enc.length + (eos >= 0 ? 1 : 0));
            if (eos >= 0) t[enc.length] = eos;
            tokens.add(t);
        }
        if (texts.isEmpty()) return drawn;
        Scored scored = timer.time("reward", () -> guard.score(texts, refs));
        return drawn.append(texts, ids, new Responses(refs, tokens, new double[refs.size()], new boolean[refs.size()]), scored);
    }

    /** The reward value threshold i stands for on this Grow set. */
    private static double cut(SampleBatch grow, RestConfig rest, int i) {
        double tau = rest.thresholds().get(i);
        return rest.thresholdScale() == RestConfig.ThresholdScale.QUANTILE
                ? Thresholds.quantile(grow.scored().rewards(), grow.scored().valid(), tau) : tau;
    }

    /** ReST-EM's success: reward ≥ success_threshold, or reward 1 of a binary reward (anything else is refused). */
    private double successCut(SampleBatch grow, int g) {
        Double threshold = setup.config().rest().successThreshold();
        if (threshold != null) return threshold;
        int bad = Thresholds.firstNonBinary(grow.scored().rewards(), grow.scored().valid());
        if (bad >= 0) {
            throw new UserError(GrowFile.of(state.dir(), g) + ":" + (bad + 1) + ": rest-em needs a binary reward (0 or 1),"
                    + " got " + grow.scored().rewards()[bad] + " for prompt '" + grow.promptTexts().get(bad)
                    + "'; set rest.success_threshold to count rewards >= it as successes");
        }
        return 1.0;
    }

    /** Says so when Improve step i keeps exactly the samples step i − 1 kept: τ_i changes nothing here. */
    private void warnIfSameSet(SampleBatch grow, RestConfig rest, int i, int[] kept, int g) {
        int[] previous = Thresholds.keepAtLeast(grow.scored().rewards(), grow.scored().valid(), cut(grow, rest, i - 1));
        if (Arrays.equals(previous, kept)) {
            LOG.log(System.Logger.Level.WARNING, "Grow step " + g + ": threshold " + rest.thresholds().get(i)
                    + " keeps the same " + kept.length + " samples as threshold " + rest.thresholds().get(i - 1)
                    + " (the reward takes too few values for these thresholds on the "
                    + rest.thresholdScale().name().toLowerCase(java.util.Locale.ROOT) + " scale)");
        }
    }
}

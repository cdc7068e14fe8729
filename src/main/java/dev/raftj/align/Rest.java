package dev.raftj.align;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.RestConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.generate.Generator;
import dev.raftj.reward.RewardGuard;
import dev.raftj.select.Thresholds;
import dev.raftj.train.SftStep;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * ReST (Gulcehre et al. 2023) and ReST-EM (Singh et al. 2023). A Grow step samples N = k
 * responses per prompt from the current policy once, scores them and writes DIR/grow-G.jsonl.
 * ReST then runs one Improve step per threshold τ1 &lt; τ2 &lt; …: fine-tune on the samples whose
 * min-max normalised reward is ≥ τ, continuing from the previous step with lr·decay^i. ReST-EM
 * keeps the samples with reward 1 and fine-tunes from the base model at every iteration.
 * Each Improve step is one stage (one metrics line); the line's kl is that of the Grow samples.
 */
public final class Rest {
    private final RaftConfig config;
    private final AlignmentSetup setup;
    private final RunState state;
    private final Path dir;
    private final Consumer<Map<String, Object>> onStage;

    public Rest(RaftConfig config, AlignmentSetup setup, RunState state, Path dir,
                Consumer<Map<String, Object>> onStage) {
        this.config = config;
        this.setup = setup;
        this.state = state;
        this.dir = dir;
        this.onStage = onStage;
    }

    private boolean em() {
        return config.algorithm() == RaftConfig.Algorithm.REST_EM;
    }

    /** Improve steps per Grow step. */
    int improvesPerGrow() {
        return em() ? 1 : config.rest().thresholds().size();
    }

    public Map<String, Object> run() {
        RestConfig rest = config.rest();
        Batches<Prompt> batches = new Batches<>(setup.train(), config.batchPrompts(), config.seed(), state.cursor());
        SftStep trainer = state.trainer(setup.policy(), config.sft());
        state.evaluateBaseOnce(setup, onStage);
        Generator generator = new Generator(setup.policy(), config.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), config.onRewardError());
        int perGrow = improvesPerGrow();
        SampleBatch grow = null;
        while (state.stage() < rest.growSteps() * perGrow) {
            int g = state.stage() / perGrow, i = state.stage() % perGrow;
            Timer timer = new Timer();
            if (grow == null || i == 0) {
                // The batch cursor moves once per Grow step (at i == 0). A resumed run re-reads the
                // Grow set from grow-G.jsonl: the policy that drew it may have been trained since.
                List<Prompt> batch = i == 0 ? batches.next() : null;
                long seed = Shuffle.deriveSeed(config.seed(), 7919L * (g + 1));
                grow = GrowFile.readOrDraw(dir.resolve("grow-" + (g + 1) + ".jsonl"),
                        () -> batch == null ? null : SampleBatch.draw(setup, generator, guard, batch, seed, timer), setup);
            }
            SampleBatch samples = grow;
            int[] kept = timer.time("select", () -> em()
                    ? Thresholds.keepCorrect(samples.scored().rewards(), samples.scored().valid())
                    : Thresholds.filterAbove(Thresholds.normaliseMinMax(samples.scored().rewards(),
                            samples.scored().valid()), rest.thresholds().get(i)));
            if (em()) {
                setup.resetPolicyToBase();
                trainer.resetState();
            }
            double lr = config.sft().lr() * Math.pow(rest.improveLrDecay(), i);
            int stage = state.stage() + 1;
            double[] losses = timer.time("train", () -> FineTune.run(trainer, config.sft(), lr,
                    samples.keptPrompts(kept), samples.keptResponses(kept),
                    Shuffle.deriveSeed(config.seed(), stage * 1000L), setup.padId()));
            Map<String, Object> line = setup.evaluate(stage, samples.stageSamples(kept, losses), timer);
            line.put("grow", g + 1);
            if (!em()) line.put("threshold", rest.thresholds().get(i));
            state.advance(batches.cursor(), line, trainer);
            onStage.accept(line);
        }
        return state.summary();
    }
}

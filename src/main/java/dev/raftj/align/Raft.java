package dev.raftj.align;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.RankingConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.generate.Generator;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import dev.raftj.kernels.Kernels;
import dev.raftj.select.KernelRanking;
import dev.raftj.select.Ranking;
import dev.raftj.train.SftStep;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * RAFT (Dong et al. 2023): per stage, draw K responses for each of b prompts from the current
 * policy, score them, keep the best (per prompt, or the top fraction of the batch; optionally
 * ranked by r − β·log(π/π0)), and fine-tune on the kept set for E epochs with the prompt masked.
 * Stage 0 evaluates the base policy; every stage appends one line to metrics.jsonl.
 */
public final class Raft {
    private final RaftConfig config;
    private final AlignmentSetup setup;
    private final RunState state;
    private final Consumer<Map<String, Object>> onStage;
    private final Kernels kernels;

    public Raft(RaftConfig config, AlignmentSetup setup, RunState state, Consumer<Map<String, Object>> onStage) {
        this.config = config;
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
        this.kernels = Kernels.forDevice(setup.policy().device());
    }

    /** Runs the remaining stages and returns the summary (also written to summary.json). */
    public Map<String, Object> run() {
        Batches<Prompt> batches = new Batches<>(setup.train(), config.batchPrompts(), config.seed(), state.cursor());
        SftStep trainer = state.trainer(setup.policy(), config.sft());
        state.evaluateBaseOnce(setup, onStage);
        Generator generator = new Generator(setup.policy(), config.sampling().batchSize());
        RewardGuard guard = new RewardGuard(setup.reward(), config.onRewardError());
        while (state.stage() < config.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            List<Prompt> batch = batches.next();
            SampleBatch samples = SampleBatch.draw(setup, generator, guard, batch,
                    Shuffle.deriveSeed(config.seed(), stage), timer);
            int[] kept = timer.time("select", () -> select(samples));
            double[] losses = timer.time("train", () -> FineTune.run(trainer, config.sft(), config.sft().lr(),
                    samples.keptPrompts(kept), samples.keptResponses(kept),
                    Shuffle.deriveSeed(config.seed(), stage * 1000L), setup.padId()));
            Map<String, Object> line = setup.evaluate(stage, samples.stageSamples(kept, losses), timer);
            state.advance(batches.cursor(), line, trainer);
            onStage.accept(line);
        }
        return state.summary();
    }

    private int[] select(SampleBatch samples) {
        RankingConfig r = config.ranking();
        Scored scored = samples.scored();
        int k = config.sampling().k();
        double[] key = r.klBeta() > 0
                ? Ranking.klAdjusted(scored.rewards(), samples.responses().logprobSums(), samples.logpRef(), r.klBeta())
                : scored.rewards();
        var device = setup.policy().device();
        return r.mode() == RankingConfig.Mode.LOCAL
                ? KernelRanking.localTopM(kernels, device, key, scored.valid(), samples.promptCount(), k, r.m())
                : KernelRanking.globalTopFraction(kernels, device, key, scored.valid(), r.fractionFor(k));
    }

    /** What evaluation needs to know about a finished stage's samples. */
    record StageSamples(Scored scored, int[] kept, double[] logp, double[] logpRef, List<int[]> responses,
                        double[] losses) {}
}

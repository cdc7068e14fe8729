package dev.raftj.align;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.RankingConfig;
import dev.raftj.config.SftConfig;
import dev.raftj.data.Batches;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import dev.raftj.select.Ranking;
import dev.raftj.train.LearningRate;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
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

    public Raft(RaftConfig config, AlignmentSetup setup, RunState state, Consumer<Map<String, Object>> onStage) {
        this.config = config;
        this.setup = setup;
        this.state = state;
        this.onStage = onStage;
    }

    /** Runs the remaining stages and returns the summary (also written to summary.json). */
    public Map<String, Object> run() {
        CausalLM policy = setup.policy();
        Tokenizer tok = setup.tokenizer();
        Batches<Prompt> batches = new Batches<>(setup.train(), config.batchPrompts(), config.seed(), state.cursor());
        SftConfig sft = config.sft();
        SftStep trainer = state.trainer(policy, sft);
        if (state.stage() == 0) {
            state.log(setup.evaluate(0, null, new Timer()));
            onStage.accept(state.lastLine());
        }
        Generator generator = new Generator(policy);
        RewardGuard guard = new RewardGuard(setup.reward(), config.onRewardError());
        while (state.stage() < config.stages()) {
            int stage = state.stage() + 1;
            Timer timer = new Timer();
            List<Prompt> batch = batches.next();
            List<int[]> promptIds = setup.encode(batch);
            int k = config.sampling().k();
            SamplingParams params = setup.samplingParams(Shuffle.deriveSeed(config.seed(), stage));
            List<Sample> samples = timer.time("generate", () -> generator.generate(promptIds, params));
            Responses responses = Responses.of(samples, tok, config.sampling().stop(), setup.eosId());
            List<String> promptTexts = new ArrayList<>();
            for (Sample s : samples) promptTexts.add(batch.get(s.prompt()).text());
            Scored scored = timer.time("reward", () -> guard.score(promptTexts, responses.texts()));
            List<int[]> samplePrompts = new ArrayList<>();
            for (Sample s : samples) samplePrompts.add(promptIds.get(s.prompt()));
            double[] logp = responses.logprobSums();
            double[] logpRef = setup.referenceLogprobs(samplePrompts, responses.tokens(), timer);
            int[] kept = timer.time("select", () -> select(scored, logp, logpRef, batch.size(), k));
            List<int[]> keptPrompts = new ArrayList<>(), keptResponses = new ArrayList<>();
            for (int i : kept) {
                keptPrompts.add(samplePrompts.get(i));
                keptResponses.add(responses.tokens().get(i));
            }
            double[] losses = timer.time("train", () -> fineTune(trainer, keptPrompts, keptResponses, stage));
            Map<String, Object> line = setup.evaluate(stage, new StageSamples(scored, kept, logp, logpRef,
                    responses.tokens(), losses), timer);
            state.advance(batches.cursor(), line, trainer);
            onStage.accept(line);
        }
        return state.summary(setup);
    }

    private int[] select(Scored scored, double[] logp, double[] logpRef, int promptCount, int k) {
        RankingConfig r = config.ranking();
        double[] key = r.klBeta() > 0 && logpRef != null
                ? Ranking.klAdjusted(scored.rewards(), logp, logpRef, r.klBeta()) : scored.rewards();
        return r.mode() == RankingConfig.Mode.LOCAL
                ? Ranking.localTopM(key, promptCount, k, r.m(), scored.valid())
                : Ranking.globalTopFraction(key, r.fractionFor(k), scored.valid());
    }

    /** E epochs of masked SFT over the kept samples, shuffled per epoch; returns each step's loss. */
    private double[] fineTune(SftStep trainer, List<int[]> prompts, List<int[]> responses, int stage) {
        SftConfig sft = config.sft();
        int n = prompts.size();
        if (n == 0) return new double[0];
        int perEpoch = (n + sft.batchSize() - 1) / sft.batchSize();
        int total = perEpoch * sft.epochs();
        double[] losses = new double[total];
        int step = 0;
        int pad = setup.padId();
        for (int epoch = 0; epoch < sft.epochs(); epoch++) {
            int[] order = Shuffle.permutation(n, Shuffle.deriveSeed(config.seed(), stage * 1000L + epoch));
            for (int start = 0; start < n; start += sft.batchSize()) {
                List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
                for (int j = start; j < Math.min(n, start + sft.batchSize()); j++) {
                    p.add(prompts.get(order[j]));
                    r.add(responses.get(order[j]));
                }
                trainer.setLearningRate(LearningRate.at(sft.lrSchedule(), sft.lr(), step, total, sft.warmupSteps()));
                try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                    TokenBatch b = TokenBatch.of(p, r, pad, setup.policy().device());
                    losses[step++] = trainer.step(b.ids(), b.mask(), b.labels()).loss();
                }
            }
        }
        return losses;
    }

    /** What evaluation needs to know about a finished stage's samples. */
    record StageSamples(Scored scored, int[] kept, double[] logp, double[] logpRef, List<int[]> responses,
                        double[] losses) {}
}

package dev.raftj.align;

import dev.raftj.config.SamplingConfig;
import dev.raftj.dist.World;
import dev.raftj.data.Prompt;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The held-out evaluation after each stage, on the current policy: greedy and sampled reward,
 * reference-response perplexity, KL(π‖π0), and (RLGAF) the independent measure of the sampled
 * responses. The held-out samples use fixed seeds, so stages differ only by the policy.
 */
final class Evaluator {
    private final AlignmentSetup setup;
    private final World world;
    private final List<Prompt> eval;
    private final List<int[]> ids;
    private final List<String> texts = new ArrayList<>();

    Evaluator(AlignmentSetup setup) {
        this(setup, World.single());
    }

    /**
     * Data parallelism: each rank evaluates its shard of the held-out prompts (sampling with its own
     * seed) and the per-prompt figures are all-gathered, so every rank reports the same means.
     */
    Evaluator(AlignmentSetup setup, World world) {
        this.setup = setup;
        this.world = world;
        this.eval = world.shard(setup.eval());
        this.ids = setup.encode(eval);
        for (Prompt p : eval) texts.add(p.text());
    }

    /** Stage 0: the base policy's evaluation, logged once per run (not again on resume). */
    void logBaseOnce(RunState state, java.util.function.Consumer<StageMetrics> onStage) {
        if (!state.needsBaseEvaluation()) return;
        Timer timer = new Timer();
        StageMetrics line = StageMetrics.of(0, null, null, timer.time("eval", this::evaluate), timer);
        state.logBaseEvaluation(line);
        onStage.accept(line);
    }

    StageMetrics.Eval evaluate() {
        if (setup.eval().isEmpty()) return new StageMetrics.Eval(null, null, null, null, null);
        var config = setup.config();
        SamplingConfig s = config.sampling();
        Generator g = new Generator(setup.policy(), s.batchSize());
        double greedy = meanReward(generate(g, SamplingParams.greedy(s.maxNewTokens())));
        long evalSeed = world.seed(Seeds.EVAL_SAMPLE.of(config.seed(), 0));
        SamplingParams sampling = setup.samplingParams(evalSeed).withSamples(1, evalSeed);
        List<Sample> sampled = generate(g, sampling);
        Adversarial adversarial = setup.adversarial();
        Double measure = adversarial == null || adversarial.measure() == null ? null
                : StageMetrics.finite(Stats.mean(world.allGather(sampled.isEmpty() ? new double[0]
                        : adversarial.measure().score(texts, texts(sampled)))));
        boolean fromPolicy = s.temperature() == 1.0 && s.topK() == 0 && s.topP() == 1.0 && s.minP() == 0
                && s.minNewTokens() == 0;
        List<Sample> fromPi = fromPolicy ? sampled
                : generate(g, SamplingParams.sampling(1.0, s.maxNewTokens(), 1, world.seed(Seeds.KL_SAMPLE.of(config.seed(), 0))));
        return new StageMetrics.Eval(greedy, meanReward(sampled), perplexity(), StageMetrics.finite(kl(fromPi)), measure);
    }

    /** This rank's held-out responses (none when its shard is empty). */
    private List<Sample> generate(Generator g, SamplingParams params) {
        return ids.isEmpty() ? List.of() : g.generate(ids, params);
    }

    private List<String> texts(List<Sample> samples) {
        return Responses.of(samples, setup.tokenizer(), setup.config().sampling().stop(), setup.eosId()).texts();
    }

    private double meanReward(List<Sample> samples) {
        return Stats.mean(world.allGather(samples.isEmpty() ? new double[0] : setup.reward().score(texts, texts(samples))));
    }

    /**
     * The k1 estimate of KL(π‖π0) over held-out prompts: mean of log π(y|x) − log π0(y|x), y ~ π
     * (temperature 1, no filters, as generated: not cut at stop strings), both teacher-forced on
     * the same tokens, so that π = π0 gives exactly 0.
     */
    private double kl(List<Sample> fromPi) {
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (Sample x : fromPi) {
            prompts.add(ids.get(x.prompt()));
            responses.add(x.tokens());
        }
        double[] diff = new double[prompts.size()];
        if (!prompts.isEmpty()) {
            double[] logp = SequenceLogprobs.of(setup.policy(), prompts, responses, 64);
            double[] logpRef = SequenceLogprobs.of(setup.reference(), prompts, responses, 64);
            for (int i = 0; i < diff.length; i++) diff[i] = logp[i] - logpRef[i];
        }
        return Stats.mean(world.allGather(diff));
    }

    /** exp(mean NLL per token) of held-out reference responses (a prompt's "reference" or "answer" field). */
    private Double perplexity() {
        List<int[]> prompts = new ArrayList<>(), refs = new ArrayList<>();
        int tokens = 0, eos = setup.eosId();
        for (int i = 0; i < eval.size(); i++) {
            String ref = eval.get(i).field("reference");
            if (ref == null) ref = eval.get(i).field("answer");
            if (ref == null) continue;
            int[] enc = setup.tokenizer().encode(ref);
            int[] withEos = eos >= 0 ? Arrays.copyOf(enc, enc.length + 1) : enc;
            if (eos >= 0) withEos[enc.length] = eos;
            prompts.add(ids.get(i));
            refs.add(withEos);
            tokens += withEos.length;
        }
        double sum = 0;
        if (tokens > 0) for (double lp : SequenceLogprobs.of(setup.policy(), prompts, refs, 64)) sum += lp;
        double[] total = world.allReduceSum(new double[] {sum, tokens});
        if (total[1] == 0) return null;
        return Math.exp(-total[0] / total[1]);
    }
}

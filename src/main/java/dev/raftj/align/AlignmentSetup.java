package dev.raftj.align;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.SamplingConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.PromptDataset;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.model.RewardModel;
import dev.raftj.torch.Torch;
import dev.raftj.reward.ExactAnswerReward;
import dev.raftj.reward.ModelReward;
import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Everything an alignment loop works with, built from a configuration: the policy, the frozen
 * initial policy (for KL), tokenizer, reward, train and held-out prompts; plus the per-stage
 * evaluation shared by the loops (held-out greedy and sampled reward, KL, perplexity, diversity).
 */
public final class AlignmentSetup {
    private final RaftConfig config;
    private final CausalLM policy;
    private final CausalLM reference;
    private final Tokenizer tokenizer;
    private final Reward reward;
    private final List<Prompt> train, eval;
    private List<int[]> evalIds; // tokenized once, on first evaluation

    public AlignmentSetup(RaftConfig config, Path policyDir, Path configDir) {
        this.config = config;
        Path modelDir = resolve(configDir, config.model());
        Device device = Torch.device(config.device());
        this.policy = CausalLM.load(policyDir != null ? policyDir : modelDir, device, ScalarType.Float);
        this.reference = CausalLM.load(modelDir, device, ScalarType.Float);
        this.tokenizer = Tokenizer.load(modelDir);
        PromptDataset data = PromptDataset.read(resolve(configDir, config.prompts()));
        if (config.evalPrompts() != null) {
            this.train = data.prompts();
            this.eval = PromptDataset.read(resolve(configDir, config.evalPrompts())).prompts();
        } else {
            PromptDataset.Split split = data.split(config.seed(), config.evalFraction());
            this.train = split.train();
            this.eval = split.eval();
        }
        if (train.isEmpty()) throw new UserError(resolve(configDir, config.prompts()) + ": no training prompts");
        this.reward = rewardFor(config.reward(), configDir);
    }

    private Reward rewardFor(String spec, Path configDir) {
        if (spec.equals("exact")) {
            Map<String, String> answers = new HashMap<>();
            for (List<Prompt> set : List.of(train, eval)) {
                for (Prompt p : set) {
                    String a = p.field("answer");
                    if (a == null) throw new UserError("reward 'exact' needs an \"answer\" field on every prompt; prompt at "
                            + config.prompts() + ":" + p.line() + " has none");
                    answers.put(p.text(), a);
                }
            }
            return ExactAnswerReward.fromMap(answers);
        }
        if (spec.startsWith("task:")) {
            return dev.raftj.tasks.Tasks.get(spec.substring("task:".length())).newReward(policy.device());
        }
        if (spec.startsWith("model:")) {
            Path dir = resolve(configDir, spec.substring("model:".length()));
            return new ModelReward(RewardModel.load(dir, policy.device(), ScalarType.Float), Tokenizer.load(dir));
        }
        throw new UserError("reward '" + spec + "': unknown (use 'exact', 'task:NAME' or 'model:DIR')");
    }

    static Path resolve(Path configDir, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || configDir == null ? p : configDir.resolve(p);
    }

    public CausalLM policy() { return policy; }
    public Tokenizer tokenizer() { return tokenizer; }
    public Reward reward() { return reward; }
    public List<Prompt> train() { return train; }
    public List<Prompt> eval() { return eval; }

    public int padId() {
        return Math.max(policy.config().padTokenId, 0);
    }

    public int eosId() {
        int[] e = policy.config().eosTokenIds;
        return e.length == 0 ? -1 : e[0];
    }

    public List<int[]> encode(List<Prompt> prompts) {
        List<int[]> out = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) out.add(tokenizer.encode(p.text()));
        return out;
    }

    public List<String> stops() {
        return config.sampling().stop();
    }

    /** Copies the initial policy's weights back into the policy (ReST-EM starts each iteration there). */
    public void resetPolicyToBase() {
        try (org.bytedeco.pytorch.NoGradGuard guard = new org.bytedeco.pytorch.NoGradGuard()) {
            policy.weights().forEach((name, w) -> w.copy_(reference.weights().get(name)));
        }
    }

    public SamplingParams samplingParams(long seed) {
        SamplingConfig s = config.sampling();
        return new SamplingParams(s.temperature(), s.topK(), s.topP(), s.minP(), s.maxNewTokens(), s.minNewTokens(),
                s.k(), false, seed);
    }

    /** Sequence log-probs of the responses under the frozen initial policy. */
    public double[] referenceLogprobs(List<int[]> prompts, List<int[]> responses, Timer timer) {
        return timer.time("reference", () -> SequenceLogprobs.of(reference, prompts, responses, 64));
    }

    /** One metrics line: the stage's sample statistics (if any) and the held-out evaluation. */
    Map<String, Object> evaluate(int stage, Raft.StageSamples samples, Timer timer) {
        Map<String, Object> line = StageMetrics.line();
        line.put("stage", stage);
        if (samples != null) {
            double[] r = samples.scored().rewards();
            double[] kept = new double[samples.kept().length];
            for (int i = 0; i < kept.length; i++) kept[i] = r[samples.kept()[i]];
            line.put("reward_mean", StageMetrics.mean(validOnly(r, samples.scored().valid())));
            line.put("reward_max", StageMetrics.max(validOnly(r, samples.scored().valid())));
            line.put("reward_kept_mean", StageMetrics.mean(kept));
            line.put("kept", kept.length);
            line.put("dropped", samples.scored().dropped());
            line.put("filtered", samples.scored().filtered());
            line.put("train_loss", StageMetrics.mean(samples.losses()));
            double[] kl = new double[r.length];
            for (int i = 0; i < kl.length; i++) kl[i] = samples.logp()[i] - samples.logpRef()[i];
            line.put("kl", StageMetrics.mean(kl));
            line.put("distinct_1", StageMetrics.distinct(samples.responses(), 1));
            line.put("distinct_2", StageMetrics.distinct(samples.responses(), 2));
            line.put("response_length", StageMetrics.meanLength(samples.responses()));
        } else {
            line.put("reward_mean", null);
            line.put("reward_kept_mean", null);
            line.put("kl", 0.0);
        }
        timer.time("eval", () -> {
            evalInto(line);
            return null;
        });
        double seconds = timer.total();
        line.put("seconds", seconds);
        line.put("time", new java.util.LinkedHashMap<>(timer.split()));
        if (samples != null) line.put("samples_per_second", samples.scored().size() / seconds);
        line.put("peak_rss_mib", StageMetrics.peakRssMiB());
        return line;
    }

    private void evalInto(Map<String, Object> line) {
        if (eval.isEmpty()) {
            line.put("eval_reward", null);
            return;
        }
        if (evalIds == null) evalIds = encode(eval);
        List<int[]> ids = evalIds;
        List<String> texts = new ArrayList<>();
        for (Prompt p : eval) texts.add(p.text());
        Generator g = new Generator(policy, config.sampling().batchSize());
        int maxNew = config.sampling().maxNewTokens();
        line.put("eval_reward", meanReward(texts, g.generate(ids, SamplingParams.greedy(maxNew))));
        SamplingParams sampled = samplingParams(config.seed() ^ 0x5EED).withSamples(1, config.seed() ^ 0x5EED);
        line.put("eval_reward_sampled", meanReward(texts, g.generate(ids, sampled)));
        line.put("eval_perplexity", perplexity(ids));
    }

    private double meanReward(List<String> prompts, List<Sample> samples) {
        Responses r = Responses.of(samples, tokenizer, config.sampling().stop(), eosId());
        return StageMetrics.mean(reward.score(prompts, r.texts()));
    }

    /** exp(mean NLL per token) of held-out reference responses (a prompt's "answer"/"reference" field). */
    private Double perplexity(List<int[]> promptIds) {
        List<int[]> prompts = new ArrayList<>(), refs = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < eval.size(); i++) {
            String ref = eval.get(i).field("reference");
            if (ref == null) ref = eval.get(i).field("answer");
            if (ref == null) continue;
            int[] enc = tokenizer.encode(ref);
            int[] withEos = eosId() >= 0 ? java.util.Arrays.copyOf(enc, enc.length + 1) : enc;
            if (eosId() >= 0) withEos[enc.length] = eosId();
            prompts.add(promptIds.get(i));
            refs.add(withEos);
            tokens += withEos.length;
        }
        if (tokens == 0) return null;
        double sum = 0;
        for (double lp : SequenceLogprobs.of(policy, prompts, refs, 64)) sum += lp;
        return Math.exp(-sum / tokens);
    }

    private static double[] validOnly(double[] r, boolean[] valid) {
        return java.util.stream.IntStream.range(0, r.length).filter(i -> valid[i]).mapToDouble(i -> r[i]).toArray();
    }
}

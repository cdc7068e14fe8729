package dev.raftj.tasks;

import dev.raftj.data.Prompt;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.reward.Reward;
import java.util.ArrayList;
import java.util.List;

/** Accuracy of a policy on a task's prompts: the mean reward of its responses (1 = correct). */
public final class TaskEval {
    private TaskEval() {}

    /**
     * @param accuracy  mean reward over all responses
     * @param endedByEos fraction of responses that ended with end-of-sequence within the token budget
     * @param responses number of responses scored
     */
    public record Accuracy(double accuracy, double endedByEos, int responses) {
        @Override
        public String toString() {
            return String.format("%.1f%% (%d responses, %.1f%% ended by EOS)", 100 * accuracy, responses, 100 * endedByEos);
        }
    }

    /** Greedy decoding, one response per prompt. */
    public static Accuracy greedy(CausalLM model, Tokenizer tokenizer, List<Prompt> prompts, Reward reward,
                                  int maxNewTokens) {
        return run(model, tokenizer, prompts, reward, SamplingParams.greedy(maxNewTokens));
    }

    /** {@code k} samples per prompt at {@code temperature} (no top-k/top-p), reproducible by seed. */
    public static Accuracy sampled(CausalLM model, Tokenizer tokenizer, List<Prompt> prompts, Reward reward,
                                   int maxNewTokens, int k, double temperature, long seed) {
        return run(model, tokenizer, prompts, reward, SamplingParams.sampling(temperature, maxNewTokens, k, seed));
    }

    public static Accuracy run(CausalLM model, Tokenizer tokenizer, List<Prompt> prompts, Reward reward,
                               SamplingParams params) {
        List<int[]> encoded = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) encoded.add(tokenizer.encode(p.text()));
        List<Sample> samples = new Generator(model).generate(encoded, params);
        List<String> texts = new ArrayList<>(samples.size());
        List<String> responses = new ArrayList<>(samples.size());
        int eos = 0;
        for (Sample s : samples) {
            texts.add(prompts.get(s.prompt()).text());
            responses.add(tokenizer.decode(s.tokens()));
            if (s.endedByEos()) eos++;
        }
        double[] scores = reward.score(texts, responses);
        double sum = 0;
        for (double x : scores) sum += x;
        int n = samples.size();
        return new Accuracy(n == 0 ? 0 : sum / n, n == 0 ? 0 : (double) eos / n, n);
    }
}

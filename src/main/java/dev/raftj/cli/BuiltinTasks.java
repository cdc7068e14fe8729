package dev.raftj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.tasks.ArithTask;
import dev.raftj.tasks.SentimentStyleTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.nio.file.Path;

/**
 * The preset of each built-in task, sized so that a laptop CPU sees alignment happen in minutes
 * (a tiny model wants a far larger learning rate than the paper's 2e-5 for 7B models). Written as
 * the YAML a user would write, and loaded by the same loader.
 */
final class BuiltinTasks {
    private BuiltinTasks() {}

    static RunConfig config(String name) {
        Task task = Tasks.get(name);
        boolean style = name.equals(SentimentStyleTask.NAME);
        String preset = name.equals(ArithTask.NAME) ? ARITH
                : style ? SENTIMENT_STYLE.formatted(quote(((SentimentStyleTask) task).discriminator())) : SENTIMENT;
        String yaml = """
                model: %s
                reward: %s
                prompts: %s
                eval_prompts: %s
                sampling: {k: 8, temperature: 1.0, max_new_tokens: %d}
                """.formatted(quote(task.policy()), style ? "adversarial" : "task:" + name, quote(task.trainFile()), quote(task.evalFile()),
                task.maxNewTokens()) + preset;
        return ConfigLoader.parse(yaml, Path.of("--task " + name), RunConfig.class);
    }

    /**
     * arith's reward is binary (correct or not), so ReST's thresholds are on the reward's own scale:
     * one Improve step per Grow step that keeps the correct answers. GRPO and PPO draw the same
     * samples as RAFT (15 stages × 64 prompts × 8); their learning rates and minibatches were picked
     * by a small sweep on held-out accuracy (GRPO: 1e-4…5e-4 × 4…16 minibatches; PPO: 1e-4…5e-4).
     */
    private static final String ARITH = """
            sft: {epochs: 2, lr: 5.0e-4, batch_size: 16}
            raft: {stages: 15, batch_prompts: 64}
            rest: {grow_steps: 3, grow_prompts: 512, threshold_scale: reward, thresholds: [1.0]}
            grpo: {stages: 15, batch_prompts: 64, lr: 5.0e-4, minibatches: 16}
            ppo: {stages: 15, batch_prompts: 64, lr: 3.0e-4, minibatches: 8}
            """;

    /**
     * sentiment: KL-adjusted ranking (r − 0.5·log π/π0) keeps the policy near its base; ReST's
     * rising thresholds are quantiles of each Grow set's reward-model scores. GRPO and PPO draw
     * RAFT's samples with arith's settings (GRPO with TRL's β 0: nothing holds it near π0); PPO's
     * critic starts from the policy, as the reward model reads other tokens.
     */
    private static final String SENTIMENT = """
            sft: {epochs: 2, lr: 5.0e-4, batch_size: 16}
            raft: {stages: 10, batch_prompts: 64, ranking: {kl_beta: 0.5}}
            rest: {grow_steps: 2, threshold_scale: quantile, thresholds: [0.5, 0.8, 0.9]}
            grpo: {stages: 10, batch_prompts: 64, lr: 5.0e-4, minibatches: 16}
            ppo: {stages: 10, batch_prompts: 64, lr: 3.0e-4, minibatches: 8}
            """;

    /**
     * sentiment-style (RLGAF): the reward is a discriminator (the task's fresh word-level classifier,
     * warmed up on the base policy's samples) trained each stage against the prompts' positive
     * references; the sentiment reward model, which it never sees, is the independent measure.
     * RAFT ranks KL-adjusted, as on sentiment, which keeps the policy from drifting into text only
     * an immature discriminator likes.
     */
    private static final String SENTIMENT_STYLE = """
            sft: {epochs: 2, lr: 5.0e-4, batch_size: 16}
            raft: {stages: 10, batch_prompts: 64, ranking: {kl_beta: 0.5}}
            grpo: {stages: 10, batch_prompts: 64, lr: 5.0e-4, minibatches: 16}
            ppo: {stages: 10, batch_prompts: 64, lr: 3.0e-4, minibatches: 8}
            discriminator: {init: %s, lr: 1.0e-3, steps_per_stage: 32, batch_size: 32, label_smoothing: 0.1,
                            warmup_steps: 100, measure: task:sentiment}
            """;

    private static String quote(Path p) {
        try {
            return new ObjectMapper().writeValueAsString(p.toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

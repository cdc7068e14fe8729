package dev.raftj.tasks;

import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;

/**
 * {@code sentiment-style}: RLGAF's example. Continue the sentiment task's review openings in the
 * style of its reference continuations, which are all positive while the sentiment base policy
 * (shared with that task) writes mixed ones. The run's reward is a discriminator trained against
 * the references ({@code reward: adversarial}); the task's own reward, which the discriminator
 * never sees, is the sentiment reward model: an independent measure of moving toward the
 * references. Data: {@code dev.raftj.tasks.build.SentimentStyleData}.
 */
public final class SentimentStyleTask extends ShippedTask {
    public static final String NAME = "sentiment-style";
    public static final List<String> DATA_FILES = List.of("train.jsonl", "eval.jsonl");
    /** The folder of the untrained discriminator the preset starts from. */
    public static final String DISCRIMINATOR = "discriminator";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "RLGAF example: continue review openings like the positive references (discriminator reward);"
                + " judged by the sentiment reward model; the sentiment task's base policy";
    }

    private static SentimentTask sentiment() {
        return (SentimentTask) Tasks.get(SentimentTask.NAME);
    }

    @Override
    public Path policy() {
        return sentiment().policy();
    }

    /** The sentiment reward model: the independent judge of the references' style. */
    @Override
    public Reward newReward() {
        return sentiment().newReward();
    }

    @Override
    public Reward newReward(Device device) {
        return sentiment().newReward(device);
    }

    @Override
    public int maxNewTokens() {
        return sentiment().maxNewTokens();
    }

    /** The untrained discriminator: a fresh sequence classifier that reads words (see SentimentStyleData). */
    public Path discriminator() {
        return shipped(DISCRIMINATOR, "discriminator");
    }

    @Override
    List<String> shippedFiles() {
        List<String> files = new ArrayList<>(DATA_FILES);
        files.addAll(under(DISCRIMINATOR, SentimentTask.MODEL_FILES));
        return files;
    }
}

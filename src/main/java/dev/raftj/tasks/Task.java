package dev.raftj.tasks;

import dev.raftj.data.Prompt;
import dev.raftj.data.PromptDataset;
import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;

/**
 * A built-in alignment task: a base policy, training and held-out prompts, and the reward that
 * judges responses. Its files ship as classpath resources and are copied to a cache folder on
 * first use ({@link TaskResources}), so every method that returns a path returns a real file.
 *
 * <p>This is what a run needs. How a task's data and models are built ({@code raftj pretrain})
 * lives apart, in {@code dev.raftj.tasks.build}.
 */
public interface Task {

    /** The name users type, e.g. "arith". */
    String name();

    /** One line for {@code --help} and listings. */
    String description();

    /** The base policy folder: config.json, model.safetensors, tokenizer.json (a UserError if the task ships none). */
    Path policy();

    /** Training prompts as JSONL ({@code {"prompt": ..., "answer": ...}}). */
    Path trainFile();

    /** Held-out evaluation prompts as JSONL, disjoint from the training prompts. */
    Path evalFile();

    default List<Prompt> trainPrompts() {
        return PromptDataset.read(trainFile()).prompts();
    }

    default List<Prompt> evalPrompts() {
        return PromptDataset.read(evalFile()).prompts();
    }

    /** A new instance of the task's reward (rewards may hold state, so each run gets its own). */
    Reward newReward();

    /** The same, with any model it runs on {@code device} (rule rewards have none). */
    default Reward newReward(Device device) {
        return newReward();
    }

    /** New tokens per response that are enough for a complete answer (a sampling default). */
    int maxNewTokens();
}

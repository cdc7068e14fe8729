package dev.raftj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.RewardModel;
import dev.raftj.reward.ModelReward;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj score}: score (prompt, response) pairs with a reward model. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score prompt/response pairs with a Hugging Face sequence-classification reward model.")
public final class ScoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--reward-model", required = true, description = "Reward model folder (…ForSequenceClassification, num_labels=1).")
    Path rewardModel;

    @Option(names = "--adapter", description = "A LoRA adapter folder as PEFT saves it for a sequence-classification"
            + " model (its head, when modules_to_save holds score, replaces the reward model's).")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "A prompt; give one --response per --prompt, in order.")
    List<String> prompts;

    @Option(names = "--response", required = true, description = "The response to the prompt at the same position.")
    List<String> responses;

    @Option(names = "--format", defaultValue = "text", description = "text or json (one object per line per pair).")
    GenerateCommand.Format format;

    @Option(names = "--truncate", description = "A prompt + response longer than the reward model's context is an "
            + "error unless this says which end to cut: left (keep the end) or right (keep the beginning); each cut "
            + "pair is reported (stderr; 'truncated' in json).")
    Side truncate;

    /** The ends --truncate may cut. */
    enum Side { left, right }

    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() {
        if (prompts.size() != responses.size()) {
            throw new UserError("got " + prompts.size() + " --prompt and " + responses.size()
                    + " --response options: give one response per prompt");
        }
        modelOptions.init();
        RewardModel rm = RewardModel.load(rewardModel, modelOptions.device(), modelOptions.dtype());
        if (adapter != null) dev.raftj.lora.PeftFiles.attachToRewardModel(adapter, rm);
        ModelReward reward = new ModelReward(rm, Tokenizer.load(rewardModel, rm.config().vocabSize, rm.config().file),
                64, truncate == null ? ModelReward.Truncate.NONE
                        : truncate == Side.left ? ModelReward.Truncate.LEFT : ModelReward.Truncate.RIGHT);
        ModelReward.Scores result = reward.scoreDetailed(prompts, responses);
        double[] scores = result.scores();
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new UserError("reward model " + rewardModel + " scored pair " + (i + 1) + " " + scores[i]
                        + " (its weights are finite, so its activations overflowed"
                        + (modelOptions.dtype() == org.bytedeco.pytorch.global.torch.ScalarType.Float ? ""
                        : "; try --dtype float32") + "); no scores written");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        String side = truncate == null ? "" : truncate.name();
        for (int i = 0; i < scores.length; i++) {
            int cut = result.truncated()[i];
            if (cut > 0) {
                err.printf("raftj: warning: pair %d: %d tokens cut on the %s to fit the context of %d tokens of %s%n",
                        i + 1, cut, side, rm.config().maxPositions, rewardModel);
            }
            if (format == GenerateCommand.Format.json) {
                ObjectNode o = json.createObjectNode();
                o.put("prompt", prompts.get(i));
                o.put("response", responses.get(i));
                o.put("score", scores[i]);
                if (truncate != null) o.put("truncated", cut);
                out.println(o);
            } else {
                out.printf("%.6f\t%s%s%n", scores[i], prompts.get(i), responses.get(i));
            }
        }
        err.flush();
        out.flush();
        return 0;
    }
}

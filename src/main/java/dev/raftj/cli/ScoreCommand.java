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

    @Option(names = "--prompt", required = true, description = "A prompt; give one --response per --prompt, in order.")
    List<String> prompts;

    @Option(names = "--response", required = true, description = "The response to the prompt at the same position.")
    List<String> responses;

    @Option(names = "--format", defaultValue = "text", description = "text or json (one object per line per pair).")
    GenerateCommand.Format format;

    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() {
        if (prompts.size() != responses.size()) {
            throw new UserError("got " + prompts.size() + " --prompt and " + responses.size()
                    + " --response options: give one response per prompt");
        }
        modelOptions.init();
        ModelReward reward = new ModelReward(RewardModel.load(rewardModel, modelOptions.device(), modelOptions.dtype()),
                Tokenizer.load(rewardModel));
        double[] scores = reward.score(prompts, responses);
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < scores.length; i++) {
            if (format == GenerateCommand.Format.json) {
                ObjectNode o = json.createObjectNode();
                o.put("prompt", prompts.get(i));
                o.put("response", responses.get(i));
                o.put("score", scores[i]);
                out.println(o);
            } else {
                out.printf("%.6f\t%s%s%n", scores[i], prompts.get(i), responses.get(i));
            }
        }
        out.flush();
        return 0;
    }
}

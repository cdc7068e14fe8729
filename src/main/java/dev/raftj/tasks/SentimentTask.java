package dev.raftj.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.PromptDataset;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.Initializer;
import dev.raftj.model.RewardModel;
import dev.raftj.reward.ModelReward;
import dev.raftj.reward.Reward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code sentiment}: continue a review opening ("The movie was") so that it reads positive. The
 * reward is a learned model, a tiny {@code GPT2ForSequenceClassification} (num_labels = 1, byte-level
 * tokenizer, context 64) trained by raftj on shipped labeled sentences; its score is a logit,
 * positive for positive text. The base policy is a tiny GPT-2 of the same sizes pretrained on
 * mixed-sentiment continuations (as many negative as positive, a few neutral), so its samples are
 * mixed and their mean reward sits near the middle. RAFT's job is to raise the held-out reward.
 *
 * <p>Data ({@link SentimentData}, generated from a seed by a template grammar): 306 prompts
 * (openings × 34 subjects), {@value SentimentData#EVAL_PROMPTS} of them held out; reward-model
 * sentences, train and held-out; the policy's pretraining corpus over training prompts only.
 *
 * <p>{@code raftj pretrain --task sentiment} builds the reward model ({@link #rewardModelTraining},
 * into {@code reward/}) and then the base policy ({@link #pretraining}, into {@code policy/}).
 */
public final class SentimentTask extends ShippedTask implements RewardModelTask {
    public static final String NAME = "sentiment";
    /** Both models: vocabulary 258 (2 special tokens + 256 bytes), d=64, 2 layers, 4 heads, context 64. */
    public static final Initializer.Gpt2Spec SPEC = new Initializer.Gpt2Spec(258, 64, 2, 4, 64, 0, 0, 1);
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|pad|>");

    static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "continue a review opening (\"The movie was\") positively; reward: a tiny GPT-2 sentiment "
                + "reward model trained by raftj; tiny GPT-2 base policy with mixed-sentiment continuations";
    }

    @Override
    public Path policy() {
        return shipped("policy", "base policy");
    }

    @Override
    public Path rewardModel() {
        return shipped("reward", "reward model");
    }

    /** The shipped reward-model sentences: {@code eval} the held-out ones. */
    public Path rewardDataFile(boolean eval) {
        return dir().resolve(eval ? "reward_eval.jsonl" : "reward_train.jsonl");
    }

    /** The shipped pretraining corpus of the base policy. */
    public Path corpusFile() {
        return dir().resolve("corpus.jsonl");
    }

    @Override
    public Reward newReward() {
        return rewardFrom(rewardModel());
    }

    @Override
    public Reward newReward(Device device) {
        return rewardOn(rewardModel(), device);
    }

    @Override
    public Reward rewardFrom(Path rewardDir) {
        return rewardOn(rewardDir, new Device("cpu"));
    }

    private static Reward rewardOn(Path dir, Device device) {
        return new ModelReward(RewardModel.load(dir, device, ScalarType.Float), Tokenizer.load(dir));
    }

    /** Pretraining reports the mean positivity σ(score) in [0, 1] as its "accuracy". */
    @Override
    public Reward pretrainingReward(Path rewardDir) {
        return positivity(rewardFrom(rewardDir));
    }

    /** σ(score) of a reward model's reward: the probability it gives that the text is positive. */
    public static Reward positivity(Reward scores) {
        return new Reward() {
            @Override
            public double[] score(List<String> prompts, List<String> responses) {
                double[] s = scores.score(prompts, responses);
                for (int i = 0; i < s.length; i++) s[i] = 1 / (1 + Math.exp(-s[i]));
                return s;
            }

            @Override
            public String name() {
                return "positivity";
            }
        };
    }

    @Override
    public int maxNewTokens() {
        return SentimentData.MAX_CONTINUATION + 1; // the longest continuation and EOS
    }

    @Override
    public Optional<PretrainRecipe> pretraining() {
        List<Prompt> corpus = PromptDataset.read(corpusFile()).prompts();
        List<PretrainRecipe.Example> lines = new ArrayList<>(corpus.size());
        for (Prompt p : corpus) lines.add(new PretrainRecipe.Example(p.text(), p.field("completion")));
        return Optional.of(new PretrainRecipe(SPEC, SPECIAL_TOKENS,
                /* seed */ 0, /* steps */ 1500, /* batch */ 64, /* lr */ 3e-3, /* warmup */ 100,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 500,
                random -> lines.get(random.nextInt(lines.size()))));
    }

    @Override
    public RewardModelRecipe rewardModelTraining() {
        // 400 BPE merges learned from the training sentences: the classifier reads whole words (with
        // bytes only it stayed near 60% held-out accuracy after 600 steps; with words, 98.6% after 100)
        return new RewardModelRecipe(SPEC, SPECIAL_TOKENS, /* BPE merges */ 400,
                /* seed */ 0, /* steps */ 400, /* batch */ 64, /* lr */ 2e-3, /* warmup */ 50,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 100,
                readLabeled(rewardDataFile(false)), readLabeled(rewardDataFile(true)));
    }

    /** Reads {@code {"text": ..., "label": ...}} lines; a malformed line is a UserError naming file and line. */
    public static List<RewardModelRecipe.Example> readLabeled(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<RewardModelRecipe.Example> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                JsonNode n = json.readTree(lines.get(i));
                if (!n.path("text").isTextual()) throw new UserError(file + ":" + (i + 1) + ": field 'text' missing or not a string");
                if (!n.path("label").isNumber()) throw new UserError(file + ":" + (i + 1) + ": field 'label' missing or not a number");
                double label = n.get("label").asDouble();
                if (!(label >= 0 && label <= 1)) throw new UserError(file + ":" + (i + 1) + ": field 'label' must be in [0, 1], got " + label);
                out.add(new RewardModelRecipe.Example(n.get("text").asText(), label));
            } catch (IOException e) {
                throw new UserError(file + ":" + (i + 1) + ": not JSON: " + e.getMessage(), e);
            }
        }
        return out;
    }

    @Override
    List<String> shippedFiles() {
        List<String> files = new ArrayList<>(SentimentData.FILES);
        files.addAll(under("policy", POLICY_FILES));
        files.addAll(under("reward", MODEL_FILES));
        return files;
    }
}

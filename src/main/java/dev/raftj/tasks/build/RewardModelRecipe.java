package dev.raftj.tasks.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.core.UserError;
import dev.raftj.model.Initializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code raftj pretrain} builds a task's reward model: a byte-level BPE tokenizer with these
 * special tokens (the second, if any, is the pad token, else the first) and up to {@code bpeMerges}
 * merges learned from the training texts ({@link ByteLevelBpeTrainer}; 0 = bytes only), a fresh
 * {@code GPT2ForSequenceClassification} (num_labels = 1) of these sizes (the vocabulary size is the
 * tokenizer's, whatever {@code model} says), trained by binary cross-entropy of the scalar score
 * (a logit) against each text's label in [0, 1]. Batches are drawn by a per-epoch shuffle of
 * {@code train}; the learning rate warms up linearly for {@code warmupSteps}, then decays on a
 * cosine to {@code minLrFraction}·lr at {@code steps}.
 *
 * @param evalEvery held-out loss and accuracy are printed every this many steps (0 = only at the end)
 */
public record RewardModelRecipe(Initializer.Gpt2Spec model, List<String> specialTokens, int bpeMerges, long seed, int steps,
                                int batchSize, double lr, int warmupSteps, double minLrFraction, double weightDecay,
                                double clipNorm, int evalEvery, List<Example> train, List<Example> eval) {

    /** A labeled text: 1 = the score should be high (positive), 0 = low; 0.5 = neither. */
    public record Example(String text, double label) {
        public Example {
            if (!(label >= 0 && label <= 1)) throw new IllegalArgumentException("label must be in [0, 1], got " + label);
        }
    }

    public RewardModelRecipe {
        if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("steps and batch size must be >= 1");
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        if (train.isEmpty()) throw new IllegalArgumentException("no training texts");
        if (bpeMerges < 0) throw new IllegalArgumentException("bpeMerges must be >= 0, got " + bpeMerges);
        specialTokens = List.copyOf(specialTokens);
        train = List.copyOf(train);
        eval = List.copyOf(eval);
    }

    public RewardModelRecipe withSteps(int newSteps) {
        return new RewardModelRecipe(model, specialTokens, bpeMerges, seed, newSteps, batchSize, lr, Math.min(warmupSteps, newSteps),
                minLrFraction, weightDecay, clipNorm, evalEvery, train, eval);
    }

    public RewardModelRecipe withSeed(long newSeed) {
        return new RewardModelRecipe(model, specialTokens, bpeMerges, newSeed, steps, batchSize, lr, warmupSteps, minLrFraction,
                weightDecay, clipNorm, evalEvery, train, eval);
    }

    public RewardModelRecipe withEvalEvery(int every) {
        return new RewardModelRecipe(model, specialTokens, bpeMerges, seed, steps, batchSize, lr, warmupSteps, minLrFraction,
                weightDecay, clipNorm, every, train, eval);
    }

    /** The model's sizes with the vocabulary of {@code vocabSize} tokens. */
    public Initializer.Gpt2Spec modelWithVocabulary(int vocabSize) {
        return new Initializer.Gpt2Spec(vocabSize, model.hidden(), model.layers(), model.heads(), model.positions(),
                model.bosId(), model.eosId(), model.padId());
    }

    /** The learning rate at 1-based {@code step}. */
    public double learningRate(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) return lr * step / warmupSteps;
        double span = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (step - warmupSteps) / span);
        return lr * (minLrFraction + (1 - minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /** Reads {@code {"text": ..., "label": ...}} lines; a malformed line is a UserError naming file and line. */
    public static List<Example> readLabeled(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<Example> out = new ArrayList<>();
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
                out.add(new Example(n.get("text").asText(), label));
            } catch (IOException e) {
                throw new UserError(file + ":" + (i + 1) + ": not JSON: " + e.getMessage(), e);
            }
        }
        return out;
    }
}

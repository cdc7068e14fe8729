package dev.raftj.tasks.build;

import dev.raftj.data.BpeTokenizer;
import dev.raftj.data.Shuffle;
import dev.raftj.model.Initializer;
import dev.raftj.tasks.SentimentStyleTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sentiment-style task's data: the sentiment task's prompts and split, each with one POSITIVE
 * reference continuation drawn by {@link SentimentData}'s grammar from its own stream of
 * {@link SentimentData#SEED}. The sentiment base policy writes as many negative as positive
 * continuations, so these references differ from what it produces: RLGAF's discriminator learns
 * the difference and pays the policy to close it.
 *
 * <p>And the untrained discriminator it starts from: a freshly initialised
 * {@code GPT2ForSequenceClassification} of the sentiment models' sizes reading words, through BPE
 * merges learned from the base policy's own (unlabeled, mixed) pretraining corpus. Words matter: a
 * byte-level classifier of this size learns sentiment slowly (see SentimentBuild), and the policy's
 * body, which reads bytes, stayed a weak discriminator (held-out accuracy 0.55-0.61 in single runs on seed 0).
 * Nothing of the sentiment reward model (the independent measure) goes into it.
 *
 * <p>{@code java -cp target/classes dev.raftj.tasks.build.SentimentStyleData DIR} writes
 * {@code train.jsonl}, {@code eval.jsonl} and {@code discriminator/} (the shipped ones under
 * {@code raftj/tasks/sentiment-style/} are exactly these).
 */
public final class SentimentStyleData {
    /** Stream of {@link SentimentData#SEED} for the positive references (SentimentData uses 1-4). */
    static final long STYLE_STREAM = 5;

    public static final List<String> FILES = SentimentStyleTask.DATA_FILES;
    /** BPE merges of the discriminator's tokenizer (as the sentiment reward model's), and the seed of its weights. */
    static final int DISCRIMINATOR_MERGES = SentimentBuild.REWARD_BPE_MERGES;
    static final long DISCRIMINATOR_SEED = 0;

    private SentimentStyleData() {}

    /** The text of every data file, by name. */
    public static Map<String, String> files() {
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(Shuffle.deriveSeed(SentimentData.SEED, STYLE_STREAM));
        Map<String, String> files = new LinkedHashMap<>();
        for (boolean eval : new boolean[] {false, true}) {
            files.put(eval ? "eval.jsonl" : "train.jsonl", SentimentData.promptLines(SentimentData.prompts(eval),
                    p -> SentimentData.continuation(SentimentData.Sentiment.POSITIVE, p.category(), r)));
        }
        return files;
    }

    /** Writes the untrained discriminator (config.json, model.safetensors, tokenizer.json) into {@code dir}. */
    public static void discriminator(Path dir) {
        List<String> corpus = SentimentData.corpus().stream().map(l -> l.prompt() + l.completion()).toList();
        BpeTokenizer tokenizer = ByteLevelBpeTrainer.train(corpus, SentimentBuild.SPECIAL_TOKENS, DISCRIMINATOR_MERGES,
                RewardModelTrainer.BPE_MIN_FREQUENCY, dir.resolve("tokenizer.json"));
        Initializer.Gpt2Spec s = SentimentBuild.SPEC;
        Initializer.gpt2SequenceClassification(dir, new Initializer.Gpt2Spec(tokenizer.vocabSize(), s.hidden(), s.layers(),
                s.heads(), s.positions(), s.bosId(), s.eosId(), s.padId()), DISCRIMINATOR_SEED);
    }

    /** Writes the data files and discriminator/ into the folder given (the shipped ones: src/main/resources/raftj/tasks/sentiment-style). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: SentimentStyleData DIR");
            System.exit(2);
        }
        DataFiles.write(Path.of(args[0]), files());
        discriminator(Path.of(args[0]).resolve(SentimentStyleTask.DISCRIMINATOR));
    }
}

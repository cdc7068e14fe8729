package dev.raftj.data;

import java.nio.file.Path;
import java.util.OptionalInt;

/** Text to token ids and back. */
public interface Tokenizer {

    /** Ids of text; no BOS/EOS added. Added tokens (such as "<|endoftext|>") in the text match as single ids. */
    int[] encode(String text);

    /** Text of ids, special tokens skipped. */
    String decode(int[] ids);

    /** Text of ids, special tokens written as their content. */
    String decodeWithSpecial(int[] ids);

    /** Max id + 1 over the vocabulary and the added tokens. */
    int vocabSize();

    /** Id of a vocabulary entry or added token, e.g. "<|endoftext|>". */
    OptionalInt tokenId(String token);

    /** The tokenizer.json field that defines id {@code id} ("model.vocab.TOKEN", "added_tokens[3]"), for messages. */
    default String fieldOf(int id) {
        return "model.vocab";
    }

    /** Reads DIR/tokenizer.json. */
    static Tokenizer load(Path dir) {
        return BpeTokenizer.load(dir.resolve("tokenizer.json"));
    }

    /**
     * Reads DIR/tokenizer.json and checks it against the model it belongs to: every id it can
     * produce must lie inside {@code vocabSize} (config.json's {@code vocab_size}, the rows of the
     * embedding), else the model would index past its embedding.
     *
     * @param configFile the model's config.json, named in the error
     */
    static Tokenizer load(Path dir, int vocabSize, Path configFile) {
        Tokenizer t = load(dir);
        if (t.vocabSize() > vocabSize) {
            int id = t.vocabSize() - 1;
            throw dev.raftj.core.UserError.field(dir.resolve("tokenizer.json"), t.fieldOf(id), "token id " + id
                    + " is outside the model's vocabulary: " + configFile + " has vocab_size " + vocabSize
                    + " (ids 0.." + (vocabSize - 1) + "); the tokenizer does not belong to this model");
        }
        return t;
    }
}

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

    /** Reads DIR/tokenizer.json. */
    static Tokenizer load(Path dir) {
        return BpeTokenizer.load(dir.resolve("tokenizer.json"));
    }
}

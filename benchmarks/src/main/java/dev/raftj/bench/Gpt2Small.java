package dev.raftj.bench;

import dev.raftj.data.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The 124M benchmark workload (issue 8): a GPT-2-small-shaped checkpoint written by
 * {@code raftj init --config benchmarks/gpt2-small.json --seed 0} (system property
 * {@code raftj.model124m}), 16 English prompts tokenized by the real GPT-2 tokenizer (11–19
 * tokens), and seeded random 29-token responses, so a prompt + response row is ~44 tokens.
 */
public final class Gpt2Small {
    static final int PROMPTS = 16;
    static final int SAMPLES = 4;
    static final int NEW_TOKENS = 32;
    static final int RESPONSE = 29;
    static final int SCORE_ROWS = PROMPTS * SAMPLES; // 64
    static final int SFT_ROWS = 8;

    static final String[] TEXTS = {
        "The city council met on Tuesday evening to discuss the new budget for the public library",
        "She opened the old wooden box and found a letter written by her grandmother",
        "Scientists announced today that the telescope had captured images of a distant galaxy",
        "After the storm passed, the villagers gathered in the square to count the damage",
        "The recipe calls for two cups of flour, a pinch of salt and three eggs",
        "In the second half, the home team scored twice and won the championship",
        "He had never seen the ocean before, so the long train journey felt endless",
        "The company reported higher profits this quarter thanks to strong sales in Asia",
        "Once upon a time, in a kingdom far away, there lived a curious young dragon",
        "The museum will reopen next month with a new exhibition on ancient Egypt",
        "My favourite part of the morning is the quiet before everyone wakes up",
        "The engineers tested the bridge for weeks before it was opened to traffic",
        "Rain fell softly on the roof while the children read stories by the fire",
        "The new phone has a larger screen, a faster processor and a better camera",
        "During the meeting, the manager explained why the project was behind schedule",
        "The river flows through three countries before it reaches the sea",
    };

    private Gpt2Small() {}

    /** Writes {@link #TEXTS} as a prompts file ({"prompt": ...} per line) for {@code raftj align}: {@code Gpt2Small FILE}. */
    public static void main(String[] args) throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        StringBuilder out = new StringBuilder();
        for (String t : TEXTS) out.append(json.writeValueAsString(java.util.Map.of("prompt", t))).append('\n');
        Path file = Path.of(args[0]), tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, out);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static Path modelDir() {
        String p = System.getProperty("raftj.model124m");
        if (p == null || p.isBlank()) {
            throw new IllegalStateException("-Draftj.model124m=DIR not set (make one: raftj init --config "
                    + "benchmarks/gpt2-small.json --tokenizer src/test/resources/reference/gpt2-tokenizer --seed 0 --out DIR)");
        }
        Path dir = Path.of(p);
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            throw new IllegalStateException(dir + ": no model.safetensors (see raftj init)");
        }
        return dir;
    }

    static List<int[]> prompts(Tokenizer tok) {
        List<int[]> out = new ArrayList<>();
        for (String t : TEXTS) out.add(tok.encode(t));
        return out;
    }

    /** {@code n} responses of {@link #RESPONSE} random ids below 50256 (no EOS), fixed seed. */
    static List<int[]> responses(int n, long seed) {
        Random rnd = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] r = new int[RESPONSE];
            for (int j = 0; j < r.length; j++) r[j] = rnd.nextInt(50256);
            out.add(r);
        }
        return out;
    }

    /** Each prompt {@code k} times, prompt-major (the rows of a RAFT stage's scoring and SFT batches). */
    static List<int[]> repeat(List<int[]> prompts, int k, int limit) {
        List<int[]> out = new ArrayList<>();
        for (int[] p : prompts) for (int j = 0; j < k && out.size() < limit; j++) out.add(p);
        return out;
    }
}

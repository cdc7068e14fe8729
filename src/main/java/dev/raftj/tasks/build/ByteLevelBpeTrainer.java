package dev.raftj.tasks.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.data.BpeTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns a small byte-level BPE vocabulary (GPT-2 style: the ByteLevel pre-tokenizer splits words
 * and maps bytes to printable characters, merges join frequent neighbours within a word) and writes
 * it as a Hugging Face tokenizer.json that {@link BpeTokenizer} (and the tokenizers library) reads.
 * It starts from {@link BpeTokenizer#byteLevel}: the same special tokens, the 256 bytes in the same
 * order, then one token per merge. Deterministic: the most frequent pair wins, ties go to the pair
 * that sorts first.
 *
 * <p>raftj's reward models use it so that a tiny model sees whole words ("Ġwonderful") instead of
 * letters: a classifier learns word sentiment from a few thousand sentences far faster that way.
 */
public final class ByteLevelBpeTrainer {
    /** GPT-2's word pattern (ByteLevel's use_regex). */
    private static final Pattern WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ByteLevelBpeTrainer() {}

    /**
     * Learns up to {@code maxMerges} merges of pairs seen at least {@code minFrequency} times in
     * {@code texts} and writes {@code tokenizerJson}; returns the tokenizer read back from it.
     */
    public static BpeTokenizer train(List<String> texts, List<String> specialTokens, int maxMerges, int minFrequency,
                                     Path tokenizerJson) {
        Map<List<String>, Integer> words = new HashMap<>();
        for (String text : texts) {
            Matcher m = WORDS.matcher(text);
            while (m.find()) words.merge(symbols(m.group()), 1, Integer::sum);
        }
        // Words as mutable symbol lists with counts, in a fixed order.
        TreeMap<String, Integer> sorted = new TreeMap<>();
        words.forEach((k, v) -> sorted.put(String.join("\u0000", k), v));
        List<List<String>> seqs = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        sorted.forEach((k, v) -> {
            seqs.add(new ArrayList<>(Arrays.asList(k.split("\u0000", -1))));
            counts.add(v);
        });
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int w = 0; w < seqs.size(); w++) {
                List<String> s = seqs.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + "\u0000" + s.get(i + 1), counts.get(w), Integer::sum);
            }
            String best = null;
            int bestCount = 0;
            for (Map.Entry<String, Integer> e : pairs.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null || bestCount < minFrequency) break;
            String[] pair = best.split("\u0000", -1);
            merges.add(pair);
            String joined = pair[0] + pair[1];
            for (List<String> s : seqs) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        s.set(i, joined);
                        s.remove(i + 1);
                    }
                }
            }
        }
        write(specialTokens, merges, tokenizerJson);
        return BpeTokenizer.load(tokenizerJson);
    }

    private static void write(List<String> specialTokens, List<String[]> merges, Path tokenizerJson) {
        try {
            Path dir = tokenizerJson.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path base = Files.createTempFile(dir, "byte-level-", ".json");
            try {
                BpeTokenizer.byteLevel(specialTokens).save(base);
                ObjectNode root = (ObjectNode) JSON.readTree(base.toFile());
                ObjectNode model = (ObjectNode) root.get("model");
                ObjectNode vocab = (ObjectNode) model.get("vocab");
                int next = vocab.size();
                ArrayNode list = model.putArray("merges");
                for (String[] m : merges) {
                    vocab.put(m[0] + m[1], next++);
                    list.add(m[0] + " " + m[1]);
                }
                Path tmp = tokenizerJson.resolveSibling(tokenizerJson.getFileName() + ".tmp");
                Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
                Files.move(tmp, tokenizerJson, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(base);
            }
        } catch (IOException e) {
            throw new UserError(tokenizerJson + ": cannot write tokenizer: " + e.getMessage(), e);
        }
    }

    /** A word's bytes as GPT-2's printable byte characters, one symbol per byte. */
    static List<String> symbols(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(bytes.length);
        for (byte b : bytes) out.add(String.valueOf(BYTE_TO_CHAR[b & 0xff]));
        return out;
    }

    /** GPT-2's bytes_to_unicode. */
    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
        }
    }
}

package dev.raftj.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final List<String> TEXTS = List.of("Hello, world!", "  two  spaces\tand tab\n\nnew lines",
            "naïve café ☕ 東京 🙂", "12+35=47", "");

    @TempDir
    Path tmp;

    private static Path reference() {
        return dev.raftj.Reference.model("gpt2-tiny");
    }

    // ---------------------------------------------------------------- against HF tokenizers

    @Test
    void matchesHuggingFaceOnGoldenSamples() throws IOException {
        Path dir = reference();
        Tokenizer tok = Tokenizer.load(dir);
        assertMatchesGolden(tok, JSON.readTree(dir.resolve("golden.json").toFile()).get("tokenizer_samples"), 1);
        assertEquals(512, tok.vocabSize());
        assertEquals(OptionalInt.of(0), tok.tokenId("<|endoftext|>"));
        assertEquals(OptionalInt.of(1), tok.tokenId("<|pad|>"));
        assertEquals(OptionalInt.empty(), tok.tokenId("no such token"));
    }

    /** The real GPT-2 tokenizer (50257 tokens, 50000 merges): ids from HF tokenizers for every sample. */
    @Test
    void realGpt2TokenizerMatchesHfTokenizers() throws IOException {
        Path dir = dev.raftj.Reference.model("gpt2-tokenizer");
        Tokenizer tok = Tokenizer.load(dir);
        assertEquals(50257, tok.vocabSize());
        assertMatchesGolden(tok, JSON.readTree(dir.resolve("golden.json").toFile()).get("samples"), 10);
    }

    /** Every golden sample's ids exactly, and decode back to the text. */
    private static void assertMatchesGolden(Tokenizer tok, JsonNode samples, int atLeast) {
        assertTrue(samples != null && samples.size() >= atLeast, "golden samples present");
        for (JsonNode sample : samples) {
            String text = sample.get("text").asText();
            int[] expected = JSON.convertValue(sample.get("ids"), int[].class);
            int[] ids = tok.encode(text);
            assertArrayEquals(expected, ids, "ids of " + text);
            assertEquals(text, tok.decode(ids));
        }
    }

    @Test
    void specialTokensInTextAreSingleIds() {
        Tokenizer tok = Tokenizer.load(reference());
        int a = tok.encode("a")[0], b = tok.encode("b")[0];
        int[] ids = tok.encode("a<|endoftext|>b");
        assertArrayEquals(new int[] {a, 0, b}, ids);
        assertEquals("ab", tok.decode(ids));
        assertEquals("a<|endoftext|>b", tok.decodeWithSpecial(ids));
        assertArrayEquals(new int[] {0, 1, 0}, tok.encode("<|endoftext|><|pad|><|endoftext|>"));
        assertEquals("", tok.decode(new int[] {0, 1}));
    }

    @Test
    void decodeSkipsUnknownIdsAndRepairsBrokenUtf8() {
        Tokenizer tok = BpeTokenizer.byteLevel(List.of("<|endoftext|>"));
        int[] ids = tok.encode("é"); // two bytes
        assertEquals(2, ids.length);
        assertEquals("\uFFFD", tok.decode(new int[] {ids[0]}));
        assertEquals("é", tok.decode(new int[] {ids[0], 99_999, -1, ids[1]}));
    }

    // ---------------------------------------------------------------- byte-level tokenizer, save

    @Test
    void byteLevelMatchesReferenceByteIds() {
        Tokenizer ref = Tokenizer.load(reference());
        BpeTokenizer tok = BpeTokenizer.byteLevel(List.of("<|endoftext|>", "<|pad|>"));
        assertEquals(258, tok.vocabSize());
        assertEquals(OptionalInt.of(2), tok.tokenId("!"));
        for (int b = 0; b < 256; b++) {
            String ch = String.valueOf(ByteLevel.charOf(b));
            assertEquals(ref.tokenId(ch), tok.tokenId(ch), "byte " + b);
        }
        for (char c = ' '; c <= '~'; c++) {
            assertArrayEquals(ref.encode(String.valueOf(c)), tok.encode(String.valueOf(c)), "char " + c);
        }
        assertArrayEquals(new int[] {tok.tokenId("a").getAsInt(), 0, tok.tokenId("b").getAsInt()},
                tok.encode("a<|endoftext|>b"));
    }

    @Test
    void saveThenLoadGivesTheSameTokenizer() {
        BpeTokenizer byteLevel = BpeTokenizer.byteLevel(List.of("<|endoftext|>", "<|pad|>"));
        Path file = tmp.resolve("tokenizer.json");
        byteLevel.save(file);
        assertSame(byteLevel, BpeTokenizer.load(file));
        for (String text : TEXTS) assertEquals(text, byteLevel.decode(byteLevel.encode(text)));

        BpeTokenizer ref = BpeTokenizer.load(reference().resolve("tokenizer.json"));
        ref.save(file); // overwrites
        assertSame(ref, BpeTokenizer.load(file));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(file), files.toList(), "no temp files left behind");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void assertSame(Tokenizer expected, Tokenizer actual) {
        assertEquals(expected.vocabSize(), actual.vocabSize());
        for (String text : TEXTS) {
            int[] ids = expected.encode(text + "<|endoftext|>");
            assertArrayEquals(ids, actual.encode(text + "<|endoftext|>"), text);
            assertEquals(expected.decodeWithSpecial(ids), actual.decodeWithSpecial(ids));
        }
    }

    // ---------------------------------------------------------------- Split pre-tokenizer (Llama-3 style)

    /**
     * Vocab: the 256 bytes in GPT-2 order (ids 0..255: '!'=0, '1'=16, space 'Ġ'=220), then
     * 34=256, 12=257, 123=258, 45=259, 345=260, Ġw=261 with merges in that order.
     */
    private Path smallTokenizer(String preTokenizerJson) throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            vocab.append(JSON.writeValueAsString(String.valueOf(ByteLevel.charOf(ByteLevel.BYTE_ORDER[i]))))
                    .append(':').append(i).append(',');
        }
        vocab.append("\"34\":256,\"12\":257,\"123\":258,\"45\":259,\"345\":260,\"Ġw\":261,\"<|eot|>\":262");
        String json = """
                {"version": "1.0",
                 "added_tokens": [{"id": 262, "content": "<|eot|>", "single_word": false, "lstrip": false,
                                   "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
                 "pre_tokenizer": %s,
                 "post_processor": null,
                 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "ignore_merges": false,
                           "vocab": {%s},
                           "merges": ["3 4", "1 2", "12 3", "4 5", "34 5", "Ġ w"]}}
                """.formatted(preTokenizerJson, vocab);
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, json);
        return file;
    }

    private static String llama3PreTokenizer(String behavior) throws IOException {
        return """
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": %s}, "behavior": "%s", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
                """.formatted(JSON.writeValueAsString(LLAMA3_REGEX), behavior);
    }

    @Test
    void llama3SplitCutsDigitsInThrees() throws IOException {
        BpeTokenizer tok = BpeTokenizer.load(smallTokenizer(llama3PreTokenizer("Isolated")));
        // "123" + "45": 1 2 3 -> 12 3 -> 123; 4 5 -> 45
        assertArrayEquals(new int[] {258, 259}, tok.encode("12345"));
        // pieces "HE", "'S" (case-insensitive), " w" -> H E ' S Ġw
        assertArrayEquals(new int[] {39, 36, 6, 50, 261}, tok.encode("HE'S w"));
        // "a", "\n\n" (\s*[\r\n]+), "b"; the added token stays whole
        assertArrayEquals(new int[] {64, 198, 198, 65, 262}, tok.encode("a\n\nb<|eot|>"));
        assertEquals("12345 HE'S w\n", tok.decode(tok.encode("12345 HE'S w\n<|eot|>")));
        assertEquals(263, tok.vocabSize());
        // the NFC normalizer composes e + U+0301 into é before the bytes are taken
        assertArrayEquals(tok.encode("caf\u00e9"), tok.encode("cafe\u0301"));

        Path copy = tmp.resolve("copy.json");
        tok.save(copy);
        assertArrayEquals(new int[] {258, 259}, BpeTokenizer.load(copy).encode("12345"));
    }

    @Test
    void gpt2RegexKeepsDigitRunsWhole() throws IOException {
        String gpt2 = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}";
        BpeTokenizer tok = BpeTokenizer.load(smallTokenizer(gpt2));
        // one word: 1 2 3 4 5 -> 1 2 34 5 -> 12 34 5 -> 12 345
        assertArrayEquals(new int[] {257, 260}, tok.encode("12345"));

        String prefixed = "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"use_regex\": true}";
        tok = BpeTokenizer.load(smallTokenizer(prefixed));
        assertArrayEquals(new int[] {261}, tok.encode("w"));
        assertArrayEquals(new int[] {261}, tok.encode(" w"));
    }

    @Test
    void ignoreMergesTakesWholeWordsFromVocab() throws IOException {
        Path file = smallTokenizer(llama3PreTokenizer("Isolated"));
        Files.writeString(file, Files.readString(file).replace("\"ignore_merges\": false", "\"ignore_merges\": true")
                .replace("\"Ġw\":261", "\"Ġw\":261,\"12345\":263").replace("|\\\\p{N}{1,3}|", "|\\\\p{N}+|"));
        BpeTokenizer tok = BpeTokenizer.load(file);
        assertArrayEquals(new int[] {263}, tok.encode("12345"));
        // "1234" is not in the vocab, so BPE runs: 1 2 3 4 -> 1 2 34 -> 12 34
        assertArrayEquals(new int[] {257, 256}, tok.encode("1234"));
    }

    @Test
    void splitBehaviors() throws IOException {
        String text = "the-final--countdown";
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), pieces("Isolated", text));
        assertEquals(List.of("the", "final", "countdown"), pieces("Removed", text));
        assertEquals(List.of("the-", "final-", "-", "countdown"), pieces("MergedWithPrevious", text));
        assertEquals(List.of("the", "-final", "-", "-countdown"), pieces("MergedWithNext", text));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), pieces("Contiguous", text));
    }

    private static List<String> pieces(String behavior, String text) throws IOException {
        JsonNode json = JSON.readTree("""
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"String": "-"}, "behavior": "%s", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]}
                """.formatted(behavior));
        return PreTokenizer.parse(json, Path.of("test")).split(text);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void missingFileNamesThePath() {
        Path file = tmp.resolve("nothing/tokenizer.json");
        UserError e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        e = assertThrows(UserError.class, () -> Tokenizer.load(tmp.resolve("nothing")));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void malformedJsonNamesThePath() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\",\n \"vocab\": {]}}");
        UserError e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ":2:"), e.getMessage());
    }

    @Test
    void unsupportedPartsNameTheField() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        UserError e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertEquals(file + ": field 'model.type': unsupported tokenizer model 'WordPiece'"
                + " (raftj reads byte-level BPE)", e.getMessage());

        smallTokenizer("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"ByteLevel\"},"
                + " {\"type\": \"Metaspace\"}]}");
        e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().contains("field 'pre_tokenizer.pretokenizers[1].type'"), e.getMessage());

        smallTokenizer("{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": \"Removed\"}");
        e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().contains("no ByteLevel"), e.getMessage());

        smallTokenizer("{\"type\": \"ByteLevel\"}");
        Files.writeString(file, Files.readString(file).replace("\"Ġ w\"", "\"Ġ x\""));
        e = assertThrows(UserError.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().contains("field 'model.merges[5]'"), e.getMessage());
    }
}

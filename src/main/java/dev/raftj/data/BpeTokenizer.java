package dev.raftj.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE read from a Hugging Face tokenizer.json (GPT-2, Llama-3, Qwen2 style).
 * Written in Java because no JVM library works offline from Maven Central (DJL's tokenizers
 * downloads a native Rust library at run time).
 */
public final class BpeTokenizer implements Tokenizer {
    /** Ids at or above this are refused at load (the id table is an array; real vocabularies are far smaller). */
    static final int MAX_ID = 1 << 24;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int CACHE_LIMIT = 100_000;

    /** An entry of "added_tokens"; matched in the raw text before pre-tokenization. */
    private record AddedToken(int id, String content, boolean special, boolean singleWord,
                              boolean lstrip, boolean rstrip, boolean normalized) {}

    private final Map<String, Integer> vocab;          // model.vocab, in id order
    private final List<String[]> mergePairs;           // model.merges, in rank order
    private final Map<Long, Long> merges = new HashMap<>(); // (left id, right id) -> rank << 32 | merged id
    private final List<AddedToken> addedTokens;
    private final Map<String, Integer> addedIds = new HashMap<>();
    private final Pattern addedPattern;                // group i + 1 matches addedTokens.get(order[i])
    private final int[] addedOrder;
    private final String[] idToToken;
    private final boolean[] special;
    private final boolean nfc;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges, byteFallback, fuseUnk;
    private final int unkId;                           // -1: characters missing from vocab are dropped
    private final JsonNode normalizerJson, preTokenizerJson, postProcessorJson, decoderJson; // kept for save
    private final String unkToken;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    // ---------------------------------------------------------------- loading

    /** Reads a tokenizer.json; any problem is a UserError naming the file and the field. */
    public static BpeTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) throw new UserError(tokenizerJson + ": tokenizer file not found");
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : ":" + at.getLineNr();
            throw new UserError(tokenizerJson + where + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UserError(tokenizerJson + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new UserError(tokenizerJson + ": expected a JSON object");
        return new BpeTokenizer(root, tokenizerJson);
    }

    /**
     * A tokenizer with no merges for raftj's built-in tiny models: ids 0..n-1 are the special
     * tokens, then the 256 bytes in GPT-2's bytes_to_unicode order ('!' first).
     */
    public static BpeTokenizer byteLevel(List<String> specialTokens) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (String token : specialTokens) {
            if (vocab.has(token)) throw new IllegalArgumentException("duplicate special token " + token);
            addedTokenJson(added.addObject(), new AddedToken(vocab.size(), token, true, false, false, false, false));
            vocab.put(token, vocab.size());
        }
        for (int b : ByteLevel.BYTE_ORDER) vocab.put(String.valueOf(ByteLevel.charOf(b)), vocab.size());
        model.putArray("merges");
        root.set("pre_tokenizer", byteLevelJson(false));
        root.set("decoder", byteLevelJson(true));
        return new BpeTokenizer(root, Path.of("<built-in byte-level tokenizer>"));
    }

    private BpeTokenizer(JsonNode root, Path file) {
        JsonNode model = root.path("model");
        if (!model.isObject()) throw UserError.field(file, "model", "missing");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw UserError.field(file, "model.type",
                    "unsupported tokenizer model '" + type + "' (raftj reads byte-level BPE)");
        }
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.path(field).asText("").isEmpty()) {
                throw UserError.field(file, "model." + field, "not supported (raftj reads byte-level BPE)");
            }
        }
        ignoreMerges = model.path("ignore_merges").asBoolean(false);
        byteFallback = model.path("byte_fallback").asBoolean(false);
        fuseUnk = model.path("fuse_unk").asBoolean(false);
        // model.dropout only matters for training-time subword regularisation; encoding here is exact.

        JsonNode vocabJson = model.path("vocab");
        if (!vocabJson.isObject()) throw UserError.field(file, "model.vocab", "expected an object of token: id");
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(vocabJson.properties());
        entries.sort((a, b) -> Integer.compare(a.getValue().asInt(), b.getValue().asInt()));
        vocab = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries) {
            if (!e.getValue().isIntegralNumber() || !e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw UserError.field(file, "model.vocab." + e.getKey(), "expected a non-negative integer id");
            }
            if (e.getValue().asInt() >= MAX_ID) {
                throw UserError.field(file, "model.vocab." + e.getKey(), "id " + e.getValue().asInt()
                        + " is beyond any real vocabulary (ids must be below " + MAX_ID + ")");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }

        unkToken = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        unkId = unkToken == null ? -1 : vocab.getOrDefault(unkToken, -1);

        mergePairs = readMerges(model.path("merges"), file);
        for (int rank = 0; rank < mergePairs.size(); rank++) {
            String[] pair = mergePairs.get(rank);
            Integer left = vocab.get(pair[0]), right = vocab.get(pair[1]), merged = vocab.get(pair[0] + pair[1]);
            if (left == null || right == null || merged == null) {
                String missing = left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1];
                throw UserError.field(file, "model.merges[" + rank + "]",
                        "token '" + missing + "' is not in model.vocab");
            }
            merges.putIfAbsent(pairKey(left, right), (long) rank << 32 | merged);
        }

        addedTokens = readAddedTokens(root.path("added_tokens"), file);
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (AddedToken t : addedTokens) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        special = new boolean[size];
        vocab.forEach((token, id) -> idToToken[id] = token);
        for (AddedToken t : addedTokens) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            addedIds.put(t.content(), t.id());
        }
        addedOrder = new int[addedTokens.size()];
        addedPattern = addedTokenPattern(addedTokens, addedOrder);

        normalizerJson = orNull(root.get("normalizer"));
        nfc = isNfc(normalizerJson, file, "normalizer");
        preTokenizerJson = orNull(root.get("pre_tokenizer"));
        preTokenizer = PreTokenizer.parse(preTokenizerJson, file);
        postProcessorJson = orNull(root.get("post_processor")); // ignored: encode adds no BOS/EOS
        decoderJson = orNull(root.get("decoder"));
        String decoderType = decoderJson.path("type").asText("ByteLevel");
        if (!decoderType.equals("ByteLevel")) {
            throw UserError.field(file, "decoder.type",
                    "unsupported decoder '" + decoderType + "' (raftj reads ByteLevel)");
        }
    }

    private static JsonNode orNull(JsonNode json) {
        return json == null ? NullNode.instance : json;
    }

    /** Merges come as "a b" strings (older files) or ["a", "b"] pairs (tokenizers >= 0.20). */
    private static List<String[]> readMerges(JsonNode json, Path file) {
        if (json.isMissingNode() || json.isNull()) return List.of();
        if (!json.isArray()) throw UserError.field(file, "model.merges", "expected a list");
        List<String[]> pairs = new ArrayList<>(json.size());
        for (int i = 0; i < json.size(); i++) {
            JsonNode m = json.get(i);
            String[] pair = null;
            if (m.isTextual()) {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length == 2) pair = parts;
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                pair = new String[] {m.get(0).asText(), m.get(1).asText()};
            }
            if (pair == null) {
                throw UserError.field(file, "model.merges[" + i + "]", "expected \"a b\" or [\"a\", \"b\"]");
            }
            pairs.add(pair);
        }
        return pairs;
    }

    private static List<AddedToken> readAddedTokens(JsonNode json, Path file) {
        if (json.isMissingNode() || json.isNull()) return List.of();
        if (!json.isArray()) throw UserError.field(file, "added_tokens", "expected a list");
        List<AddedToken> tokens = new ArrayList<>();
        for (int i = 0; i < json.size(); i++) {
            JsonNode t = json.get(i);
            if (!t.path("id").isIntegralNumber() || !t.path("id").canConvertToInt() || t.path("id").asInt() < 0) {
                throw UserError.field(file, "added_tokens[" + i + "].id", "expected a non-negative integer");
            }
            if (t.path("id").asInt() >= MAX_ID) {
                throw UserError.field(file, "added_tokens[" + i + "].id", "id " + t.path("id").asInt()
                        + " is beyond any real vocabulary (ids must be below " + MAX_ID + ")");
            }
            if (!t.path("content").isTextual() || t.path("content").asText().isEmpty()) {
                throw UserError.field(file, "added_tokens[" + i + "].content", "expected a non-empty string");
            }
            tokens.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(),
                    t.path("special").asBoolean(false), t.path("single_word").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(false)));
        }
        return tokens;
    }

    /**
     * One alternation over all added tokens, longest first, so the leftmost match is also the
     * longest (HF uses leftmost-longest Aho-Corasick). lstrip/rstrip swallow neighbouring
     * whitespace; single_word forbids word characters on either side.
     */
    private static Pattern addedTokenPattern(List<AddedToken> tokens, int[] order) {
        if (tokens.isEmpty()) return null;
        Integer[] byLength = new Integer[tokens.size()];
        for (int i = 0; i < byLength.length; i++) byLength[i] = i;
        Arrays.sort(byLength, (a, b) -> tokens.get(b).content().length() - tokens.get(a).content().length());
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < byLength.length; i++) {
            AddedToken t = tokens.get(byLength[i]);
            order[i] = byLength[i];
            if (i > 0) regex.append('|');
            if (t.lstrip()) regex.append("\\s*");
            if (t.singleWord()) regex.append("(?<![\\w])");
            regex.append('(').append(Pattern.quote(t.content())).append(')');
            if (t.singleWord()) regex.append("(?![\\w])");
            if (t.rstrip()) regex.append("\\s*");
        }
        return Pattern.compile(regex.toString(), Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** null, NFC, or a Sequence of those; anything else would change the text in ways we do not copy. */
    private static boolean isNfc(JsonNode json, Path file, String field) {
        if (json == null || json.isNull()) return false;
        String type = json.path("type").asText("");
        switch (type) {
            case "NFC":
                return true;
            case "Sequence":
                boolean any = false;
                JsonNode list = json.path("normalizers");
                for (int i = 0; i < list.size(); i++) {
                    any |= isNfc(list.get(i), file, field + ".normalizers[" + i + "]");
                }
                return any;
            default:
                throw UserError.field(file, field + ".type",
                        "unsupported normalizer '" + type + "' (raftj reads NFC or none)");
        }
    }

    // ---------------------------------------------------------------- encoding

    @Override
    public int[] encode(String text) {
        IntList ids = new IntList();
        int start = 0;
        if (addedPattern != null) {
            Matcher m = addedPattern.matcher(text);
            while (m.find()) {
                encodeOrdinary(text.substring(start, m.start()), ids);
                int g = 1;
                while (m.group(g) == null) g++;
                ids.add(addedTokens.get(addedOrder[g - 1]).id());
                start = m.end();
            }
        }
        encodeOrdinary(text.substring(start), ids);
        return ids.toArray();
    }

    /** Text with no added tokens in it: normalize, pre-tokenize, BPE each word. */
    private void encodeOrdinary(String text, IntList ids) {
        if (text.isEmpty()) return;
        if (nfc) text = Normalizer.normalize(text, Normalizer.Form.NFC);
        for (String word : preTokenizer.split(text)) {
            int[] wordIds = cache.get(word);
            if (wordIds == null) {
                wordIds = bpe(word);
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, wordIds);
            }
            ids.addAll(wordIds);
        }
    }

    /**
     * BPE on one word: start from its characters, then merge the adjacent pair with the lowest
     * merge rank (leftmost on ties) until no pair has a merge.
     */
    private int[] bpe(String word) {
        if (ignoreMerges && vocab.containsKey(word)) return new int[] {vocab.get(word)};

        IntList initial = new IntList();
        boolean lastUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            i += ch.length();
            Integer id = vocab.get(ch);
            if (id == null && byteFallback) {
                IntList bytes = new IntList();
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    Integer byteId = vocab.get(String.format("<0x%02X>", b & 0xFF));
                    if (byteId == null) break;
                    bytes.add(byteId);
                }
                if (bytes.size() == ch.getBytes(StandardCharsets.UTF_8).length) {
                    initial.addAll(bytes.toArray());
                    lastUnk = false;
                    continue;
                }
            }
            if (id == null) {
                if (unkId >= 0 && !(fuseUnk && lastUnk)) initial.add(unkId);
                lastUnk = unkId >= 0;
                continue;
            }
            initial.add(id);
            lastUnk = false;
        }

        // Symbols live in a linked list over their start positions; the queue holds candidate
        // merges keyed rank << 32 | position, checked again when popped since neighbours change.
        int[] sym = initial.toArray();
        int n = sym.length;
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, sym, i, i + 1);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32), i = (int) top, j = next[i];
            if (sym[i] < 0 || j >= n) continue;
            Long merge = merges.get(pairKey(sym[i], sym[j]));
            if (merge == null || (int) (merge >>> 32) != rank) continue;
            sym[i] = (int) (long) merge;
            sym[j] = -1;
            next[i] = next[j];
            if (next[i] < n) prev[next[i]] = i;
            if (prev[i] >= 0) offer(queue, sym, prev[i], i);
            if (next[i] < n) offer(queue, sym, i, next[i]);
        }
        IntList out = new IntList();
        for (int i = 0; i < n; i = next[i]) out.add(sym[i]);
        return out.toArray();
    }

    private void offer(PriorityQueue<Long> queue, int[] sym, int i, int j) {
        Long merge = merges.get(pairKey(sym[i], sym[j]));
        if (merge != null) queue.add((merge >>> 32) << 32 | i);
    }

    private static long pairKey(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    // ---------------------------------------------------------------- decoding and lookup

    @Override
    public String decode(int[] ids) {
        return decode(ids, true);
    }

    @Override
    public String decodeWithSpecial(int[] ids) {
        return decode(ids, false);
    }

    /** Ids with no token (outside the vocabulary) are skipped, as HF does. */
    private String decode(int[] ids, boolean skipSpecial) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) continue;
            if (skipSpecial && special[id]) continue;
            tokens.add(idToToken[id]);
        }
        return ByteLevel.decode(tokens);
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public String fieldOf(int id) {
        for (int i = 0; i < addedTokens.size(); i++) if (addedTokens.get(i).id() == id) return "added_tokens[" + i + "].id";
        if (id >= 0 && id < idToToken.length && idToToken[id] != null) return "model.vocab." + idToToken[id];
        return "model.vocab";
    }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) id = vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    // ---------------------------------------------------------------- saving

    /** Writes an HF tokenizer.json (temp file, then rename) that load reads back unchanged. */
    public void save(Path tokenizerJson) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken t : addedTokens) addedTokenJson(added.addObject(), t);
        root.set("normalizer", normalizerJson);
        root.set("pre_tokenizer", preTokenizerJson);
        root.set("post_processor", postProcessorJson);
        root.set("decoder", decoderJson.isNull() ? byteLevelJson(true) : decoderJson);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unkToken == null) model.putNull("unk_token");
        else model.put("unk_token", unkToken);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", fuseUnk);
        model.put("byte_fallback", byteFallback);
        model.put("ignore_merges", ignoreMerges);
        ObjectNode vocabJson = model.putObject("vocab");
        vocab.forEach(vocabJson::put);
        // "a b" strings are read by every tokenizers version; pairs only where a token holds a space.
        boolean spaces = mergePairs.stream().anyMatch(p -> p[0].contains(" ") || p[1].contains(" "));
        ArrayNode mergesJson = model.putArray("merges");
        for (String[] pair : mergePairs) {
            if (spaces) mergesJson.addArray().add(pair[0]).add(pair[1]);
            else mergesJson.add(pair[0] + " " + pair[1]);
        }

        Path dir = tokenizerJson.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, ".tokenizer", ".json.tmp");
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, tokenizerJson, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                if (tmp != null) Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write already failed; report that
            }
            throw new UserError(tokenizerJson + ": cannot write tokenizer: " + e.getMessage(), e);
        }
    }

    private static void addedTokenJson(ObjectNode json, AddedToken t) {
        json.put("id", t.id());
        json.put("content", t.content());
        json.put("single_word", t.singleWord());
        json.put("lstrip", t.lstrip());
        json.put("rstrip", t.rstrip());
        json.put("normalized", t.normalized());
        json.put("special", t.special());
    }

    /** ByteLevel as GPT-2 writes it: as pre-tokenizer without a prefix space, as decoder with the defaults. */
    private static ObjectNode byteLevelJson(boolean addPrefixSpace) {
        ObjectNode json = JSON.createObjectNode();
        json.put("type", "ByteLevel");
        json.put("add_prefix_space", addPrefixSpace);
        json.put("trim_offsets", true);
        json.put("use_regex", true);
        return json;
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] items = new int[16];
        private int size;

        void add(int value) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = value;
        }

        void addAll(int[] values) {
            if (size + values.length > items.length) {
                items = Arrays.copyOf(items, Math.max(size * 2, size + values.length));
            }
            System.arraycopy(values, 0, items, size, values.length);
            size += values.length;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(items, size);
        }
    }
}

package dev.raftj.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.raftj.core.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The HF pre-tokenizers raftj reads: ByteLevel, Split and a Sequence of them. Each step cuts
 * every piece into smaller pieces; the ByteLevel step also maps each piece to its byte
 * characters, so the pieces that come out are the words BPE works on.
 */
final class PreTokenizer {

    /** GPT-2's word pattern, used by ByteLevel when use_regex is true. */
    static final Pattern GPT2 = compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private interface Step {
        void apply(String piece, List<String> out);
    }

    private final List<Step> steps;

    private PreTokenizer(List<Step> steps) {
        this.steps = steps;
    }

    /** The words of text, byte-mapped; empty pieces are dropped as HF does. */
    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Step step : steps) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) step.apply(piece, next);
            pieces = next;
        }
        return pieces;
    }

    /** ByteLevel: optional leading space, optional GPT-2 split, then bytes to characters. */
    static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        return new PreTokenizer(List.of(byteLevelStep(addPrefixSpace, useRegex)));
    }

    private static Step byteLevelStep(boolean addPrefixSpace, boolean useRegex) {
        return (piece, out) -> {
            if (piece.isEmpty()) return;
            if (addPrefixSpace && !piece.startsWith(" ")) piece = " " + piece;
            if (useRegex) {
                Matcher m = GPT2.matcher(piece);
                while (m.find()) {
                    if (m.end() > m.start()) out.add(ByteLevel.encode(piece.substring(m.start(), m.end())));
                }
            } else {
                out.add(ByteLevel.encode(piece));
            }
        };
    }

    /**
     * Split: the pattern's matches and the text between them become pieces, joined or dropped
     * as behavior says (HF's SplitDelimiterBehavior).
     */
    private static Step splitStep(Pattern pattern, String behavior, boolean invert) {
        return (piece, out) -> {
            List<int[]> segments = new ArrayList<>(); // {start, end, isMatch}
            Matcher m = pattern.matcher(piece);
            int prev = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue;
                if (prev < m.start()) segments.add(new int[] {prev, m.start(), invert ? 1 : 0});
                segments.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                prev = m.end();
            }
            if (prev < piece.length()) segments.add(new int[] {prev, piece.length(), invert ? 1 : 0});

            List<int[]> kept = new ArrayList<>();
            boolean previousMatch = false;
            switch (behavior) {
                case "Isolated" -> kept.addAll(segments);
                case "Removed" -> segments.stream().filter(s -> s[2] == 0).forEach(kept::add);
                case "Contiguous" -> {
                    for (int[] s : segments) {
                        if (!kept.isEmpty() && (s[2] == 1) == previousMatch) kept.get(kept.size() - 1)[1] = s[1];
                        else kept.add(s);
                        previousMatch = s[2] == 1;
                    }
                }
                case "MergedWithPrevious" -> {
                    for (int[] s : segments) {
                        if (!kept.isEmpty() && s[2] == 1 && !previousMatch) kept.get(kept.size() - 1)[1] = s[1];
                        else kept.add(s);
                        previousMatch = s[2] == 1;
                    }
                }
                case "MergedWithNext" -> {
                    for (int i = segments.size() - 1; i >= 0; i--) {
                        int[] s = segments.get(i);
                        if (!kept.isEmpty() && s[2] == 1 && !previousMatch) kept.get(kept.size() - 1)[0] = s[0];
                        else kept.add(s);
                        previousMatch = s[2] == 1;
                    }
                    java.util.Collections.reverse(kept);
                }
                default -> throw new IllegalStateException(behavior); // checked in parse
            }
            for (int[] s : kept) out.add(piece.substring(s[0], s[1]));
        };
    }

    /** Reads tokenizer.json's "pre_tokenizer"; it must contain a ByteLevel step. */
    static PreTokenizer parse(JsonNode node, Path file) {
        List<Step> steps = new ArrayList<>();
        addSteps(node, file, "pre_tokenizer", steps);
        if (!hasByteLevel(node)) {
            throw UserError.field(file, "pre_tokenizer",
                    "no ByteLevel pre-tokenizer (raftj reads byte-level BPE)");
        }
        return new PreTokenizer(steps);
    }

    private static boolean hasByteLevel(JsonNode node) {
        if (node == null || node.isNull()) return false;
        if ("ByteLevel".equals(node.path("type").asText())) return true;
        for (JsonNode child : node.path("pretokenizers")) if (hasByteLevel(child)) return true;
        return false;
    }

    private static void addSteps(JsonNode node, Path file, String field, List<Step> steps) {
        if (node == null || node.isNull()) return;
        String type = node.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                JsonNode list = node.path("pretokenizers");
                if (!list.isArray()) throw UserError.field(file, field + ".pretokenizers", "expected a list");
                for (int i = 0; i < list.size(); i++) {
                    addSteps(list.get(i), file, field + ".pretokenizers[" + i + "]", steps);
                }
            }
            case "ByteLevel" -> steps.add(byteLevelStep(
                    node.path("add_prefix_space").asBoolean(true), node.path("use_regex").asBoolean(true)));
            case "Split" -> {
                JsonNode p = node.path("pattern");
                Pattern pattern;
                if (p.hasNonNull("Regex")) {
                    try {
                        pattern = compile(p.get("Regex").asText());
                    } catch (PatternSyntaxException e) {
                        throw UserError.field(file, field + ".pattern.Regex",
                                "regex not understood by Java: " + e.getDescription());
                    }
                } else if (p.hasNonNull("String")) {
                    pattern = Pattern.compile(Pattern.quote(p.get("String").asText()));
                } else {
                    throw UserError.field(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                }
                String behavior = node.path("behavior").asText("");
                if (!List.of("Isolated", "Removed", "Contiguous", "MergedWithPrevious", "MergedWithNext")
                        .contains(behavior)) {
                    throw UserError.field(file, field + ".behavior", "unsupported split behavior '" + behavior + "'");
                }
                steps.add(splitStep(pattern, behavior, node.path("invert").asBoolean(false)));
            }
            default -> throw UserError.field(file, field + ".type",
                    "unsupported pre-tokenizer '" + type + "' (raftj reads ByteLevel, Split and Sequence)");
        }
    }

    /** \s, \w and case folding follow Unicode, as in the Oniguruma regexes HF runs. */
    private static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }
}

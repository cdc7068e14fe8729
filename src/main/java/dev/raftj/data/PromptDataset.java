package dev.raftj.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.core.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prompts from a JSONL file, one JSON object per line, in one of two shapes:
 * <pre>
 * {"prompt": "What is 2+3?", "answer": "5"}
 * {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
 * </pre>
 * A "prompt" line is used as is. A "messages" line is rendered through a {@link ChatTemplate}
 * ({@link ChatTemplate#SIMPLE} by default); a final assistant turn is not part of the prompt but
 * becomes the "reference" field (unless the line has one), e.g. for RLGAF's human responses.
 * Other fields are kept in {@link Prompt#fields()}. Blank lines are skipped. Any malformed line
 * is a {@link UserError} naming the file, the line and the field.
 */
public final class PromptDataset {

    /** A shuffled split into training prompts and held-out evaluation prompts. */
    public record Split(List<Prompt> train, List<Prompt> eval) {}

    /** Seed stream of the evaluation split, apart from the epoch streams of {@link Batches}. */
    private static final long SPLIT_STREAM = -1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path source;
    private final List<Prompt> prompts;

    private PromptDataset(Path source, List<Prompt> prompts) {
        this.source = source;
        this.prompts = List.copyOf(prompts);
    }

    public static PromptDataset read(Path file) {
        return read(file, ChatTemplate.SIMPLE);
    }

    public static PromptDataset read(Path file, ChatTemplate template) {
        List<Prompt> prompts = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            long lineNo = 0;
            while ((text = reader.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1); // byte-order mark
                }
                if (!text.isBlank()) {
                    prompts.add(parseLine(file, lineNo, text, template));
                }
            }
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": prompt file not found");
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        if (prompts.isEmpty()) {
            throw new UserError(file + ": no prompts (the file is empty or blank)");
        }
        return new PromptDataset(file, prompts);
    }

    /** Parses one non-blank JSONL line into a prompt. */
    static Prompt parseLine(Path file, long lineNo, String text, ChatTemplate template) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
            throw UserError.line(file, lineNo, "invalid JSON" + where + ": " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw UserError.line(file, lineNo, "expected a JSON object, got " + describe(node));
        }
        JsonNode promptNode = node.get("prompt");
        JsonNode messagesNode = node.get("messages");
        if (promptNode != null && messagesNode != null) {
            throw UserError.line(file, lineNo, "has both 'prompt' and 'messages'; give one");
        }
        if (promptNode == null && messagesNode == null) {
            throw UserError.line(file, lineNo, "missing field 'prompt' (or 'messages')");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("prompt") && !e.getKey().equals("messages")) {
                fields.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
        }
        if (promptNode != null) {
            if (!promptNode.isTextual()) {
                throw UserError.line(file, lineNo, "field 'prompt': expected a string, got " + describe(promptNode));
            }
            return new Prompt(promptNode.textValue(), Collections.unmodifiableMap(fields), List.of(), lineNo);
        }
        List<ChatTemplate.Message> messages = parseMessages(file, lineNo, messagesNode);
        ChatTemplate.Message last = messages.get(messages.size() - 1);
        if (last.role().equals("assistant")) {
            messages = messages.subList(0, messages.size() - 1);
            if (messages.isEmpty()) {
                throw UserError.line(file, lineNo, "field 'messages': has only an assistant reply; "
                        + "the prompt needs a user message before it");
            }
            fields.putIfAbsent("reference", last.content());
        }
        return new Prompt(template.render(messages), Collections.unmodifiableMap(fields),
                List.copyOf(messages), lineNo);
    }

    private static List<ChatTemplate.Message> parseMessages(Path file, long lineNo, JsonNode messagesNode) {
        if (!messagesNode.isArray()) {
            throw UserError.line(file, lineNo, "field 'messages': expected a list, got " + describe(messagesNode));
        }
        if (messagesNode.isEmpty()) {
            throw UserError.line(file, lineNo, "field 'messages': empty list");
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (int i = 0; i < messagesNode.size(); i++) {
            JsonNode m = messagesNode.get(i);
            String at = "field 'messages[" + i + "]";
            if (!m.isObject()) {
                throw UserError.line(file, lineNo, at + "': expected an object with 'role' and 'content', got "
                        + describe(m));
            }
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual()) {
                throw UserError.line(file, lineNo, at + ".role': expected a string"
                        + (role == null ? ", missing" : ", got " + describe(role)));
            }
            if (!ChatTemplate.ROLES.contains(role.textValue())) {
                throw UserError.line(file, lineNo, at + ".role': expected one of "
                        + String.join(", ", ChatTemplate.ROLES) + ", got \"" + role.textValue() + "\"");
            }
            if (content == null || !content.isTextual()) {
                throw UserError.line(file, lineNo, at + ".content': expected a string"
                        + (content == null ? ", missing" : ", got " + describe(content)));
            }
            messages.add(new ChatTemplate.Message(role.textValue(), content.textValue()));
        }
        return messages;
    }

    /** "a number (3)", "a list", "null", ... for error messages. */
    static String describe(JsonNode node) {
        if (node.isNull()) {
            return "null";
        }
        if (node.isNumber()) {
            return "a number (" + node.asText() + ")";
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "an object";
        }
        return node.getNodeType().toString().toLowerCase();
    }

    public Path source() {
        return source;
    }

    public List<Prompt> prompts() {
        return prompts;
    }

    public int size() {
        return prompts.size();
    }

    /**
     * Shuffles by seed and holds out round(evalFraction·n) prompts for evaluation (at least one
     * when evalFraction &gt; 0); evalFraction in [0, 1). Both lists are in shuffled order.
     */
    public Split split(long seed, double evalFraction) {
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("evaluation fraction must be in [0, 1), got " + evalFraction);
        }
        int count = (int) Math.round(evalFraction * prompts.size());
        if (evalFraction > 0 && count == 0) {
            count = 1;
        }
        return splitCount(seed, count);
    }

    /** Shuffles by seed and holds out the first evalCount prompts; at least one must remain. */
    public Split splitCount(long seed, int evalCount) {
        if (evalCount < 0 || evalCount >= prompts.size()) {
            throw new UserError(source + ": cannot hold out " + evalCount + " of " + prompts.size()
                    + " prompts for evaluation (at least one must remain for training)");
        }
        int[] order = Shuffle.permutation(prompts.size(), Shuffle.deriveSeed(seed, SPLIT_STREAM));
        List<Prompt> eval = new ArrayList<>(evalCount);
        List<Prompt> train = new ArrayList<>(prompts.size() - evalCount);
        for (int i = 0; i < order.length; i++) {
            (i < evalCount ? eval : train).add(prompts.get(order[i]));
        }
        return new Split(List.copyOf(train), List.copyOf(eval));
    }
}

package dev.raftj.data;

import java.util.List;
import java.util.Map;

/**
 * One prompt of a {@link PromptDataset}.
 *
 * @param text     the text the model continues (for chat lines: the rendered conversation)
 * @param fields   the line's other fields, e.g. "answer" or "reference", as JSON values converted
 *                 to String, Integer/Long/Double, Boolean, List, Map or null (unmodifiable)
 * @param messages the conversation for chat lines, without a final assistant turn (empty for
 *                 plain "prompt" lines)
 * @param line     1-based line number in the source file
 */
public record Prompt(String text, Map<String, Object> fields, List<ChatTemplate.Message> messages, long line) {

    /** A plain prompt with no extra fields. */
    public static Prompt of(String text) {
        return new Prompt(text, Map.of(), List.of(), 0);
    }

    /** The field as a string (numbers and booleans as written), or null if absent or null. */
    public String field(String name) {
        Object value = fields.get(name);
        return value == null ? null : value.toString();
    }
}

package dev.raftj.data;

import java.util.List;

/**
 * Renders a conversation into the prompt text the model continues. The rendering ends with
 * whatever introduces the assistant's reply, so the model's continuation is the response.
 * {@link #SIMPLE} is built in; a tokenizer-provided template (e.g. from tokenizer_config.json)
 * can implement this interface later.
 */
public interface ChatTemplate {

    /** One turn: role is "system", "user" or "assistant". */
    record Message(String role, String content) {}

    /** The roles a conversation may use. */
    List<String> ROLES = List.of("system", "user", "assistant");

    String render(List<Message> messages);

    /**
     * Each message as {@code <|ROLE|>\n CONTENT \n}, then {@code <|assistant|>\n}. For a single
     * user message "Hi": {@code "<|user|>\nHi\n<|assistant|>\n"}.
     */
    ChatTemplate SIMPLE = messages -> {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append("<|").append(m.role()).append("|>\n").append(m.content()).append('\n');
        }
        return sb.append("<|assistant|>\n").toString();
    };
}

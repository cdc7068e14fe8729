package dev.raftj.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptDatasetTest {

    @TempDir
    Path dir;

    private Path write(String content) throws IOException {
        Path file = dir.resolve("prompts.jsonl");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private String error(String content) throws IOException {
        Path file = write(content);
        return assertThrows(UserError.class, () -> PromptDataset.read(file)).getMessage();
    }

    @Test
    void readsPromptLinesWithExtraFieldsAndSkipsBlankLines() throws IOException {
        Path file = write("{\"prompt\": \"2+3=\", \"answer\": \"5\", \"id\": 7}\n\n   \n{\"prompt\": \"hi\"}\n");
        PromptDataset data = PromptDataset.read(file);
        assertEquals(2, data.size());
        Prompt first = data.prompts().get(0);
        assertEquals("2+3=", first.text());
        assertEquals("5", first.field("answer"));
        assertEquals(7, first.fields().get("id"));
        assertEquals("7", first.field("id"));
        assertEquals(1, first.line());
        assertEquals(4, data.prompts().get(1).line());
        assertNull(data.prompts().get(1).field("answer"));
    }

    @Test
    void rendersChatMessagesAndKeepsFinalAssistantTurnAsReference() throws IOException {
        Path file = write("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}]}");
        PromptDataset data = PromptDataset.read(file);
        Prompt chat = data.prompts().get(0);
        assertEquals("<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n", chat.text());
        assertEquals("Hello!", chat.field("reference"));
        assertEquals(2, chat.messages().size());
        assertEquals("<|user|>\nQ\n<|assistant|>\n", data.prompts().get(1).text());
    }

    @Test
    void customTemplateIsUsed() throws IOException {
        Path file = write("{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}]}");
        ChatTemplate plain = messages -> "User: " + messages.get(0).content() + "\nAssistant:";
        assertEquals("User: Q\nAssistant:", PromptDataset.read(file, plain).prompts().get(0).text());
    }

    @Test
    void malformedLinesNameFileLineAndField() throws IOException {
        String path = dir.resolve("prompts.jsonl").toString();
        assertEquals(path + ":2: field 'prompt': expected a string, got a number (3)",
                error("{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n"));
        assertEquals(path + ":1: missing field 'prompt' (or 'messages')", error("{\"text\": \"x\"}"));
        assertEquals(path + ":1: expected a JSON object, got a list", error("[1, 2]"));
        assertEquals(path + ":1: has both 'prompt' and 'messages'; give one",
                error("{\"prompt\": \"a\", \"messages\": []}"));
        assertEquals(path + ":1: field 'messages': expected a list, got a string", error("{\"messages\": \"hi\"}"));
        assertEquals(path + ":1: field 'messages': empty list", error("{\"messages\": []}"));
        assertEquals(path + ":1: field 'messages[0].role': expected one of system, user, assistant, got \"bot\"",
                error("{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}"));
        assertEquals(path + ":1: field 'messages[1].content': expected a string, missing",
                error("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"user\"}]}"));
        assertTrue(error("{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}")
                .startsWith(path + ":1: field 'messages': has only an assistant reply"));
    }

    @Test
    void badJsonNamesLineAndColumn() throws IOException {
        String message = error("{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\",}\n");
        assertTrue(message.startsWith(dir.resolve("prompts.jsonl") + ":3: invalid JSON at column "), message);
        String trailing = error("{\"prompt\": \"a\"} {\"prompt\": \"b\"}");
        assertTrue(trailing.contains(":1: invalid JSON"), trailing);
        String duplicate = error("{\"prompt\": \"a\", \"prompt\": \"b\"}");
        assertTrue(duplicate.contains(":1: invalid JSON") && duplicate.contains("prompt"), duplicate);
    }

    @Test
    void emptyOrMissingFileNamesTheFile() throws IOException {
        assertEquals(dir.resolve("prompts.jsonl") + ": no prompts (the file is empty or blank)", error("\n  \n"));
        Path missing = dir.resolve("nope.jsonl");
        assertEquals(missing + ": prompt file not found",
                assertThrows(UserError.class, () -> PromptDataset.read(missing)).getMessage());
    }

    @Test
    void byteOrderMarkIsIgnored() throws IOException {
        assertEquals("a", PromptDataset.read(write("\uFEFF{\"prompt\": \"a\"}")).prompts().get(0).text());
    }

    @Test
    void evaluationSplitIsDeterministicAndDisjoint() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append("{\"prompt\": \"p").append(i).append("\"}\n");
        }
        PromptDataset data = PromptDataset.read(write(sb.toString()));
        PromptDataset.Split a = data.split(3, 0.25);
        PromptDataset.Split b = data.split(3, 0.25);
        assertEquals(5, a.eval().size());
        assertEquals(15, a.train().size());
        assertEquals(a, b);
        HashSet<Prompt> all = new HashSet<>(a.train());
        all.addAll(a.eval());
        assertEquals(20, all.size());
        assertNotEquals(a.eval(), data.split(4, 0.25).eval());
        assertEquals(1, data.split(3, 0.01).eval().size()); // a positive fraction holds out at least one
        assertEquals(0, data.split(3, 0.0).eval().size());
        assertEquals(3, data.splitCount(3, 3).eval().size());
        assertThrows(UserError.class, () -> data.splitCount(3, 20));
        assertThrows(IllegalArgumentException.class, () -> data.split(3, 1.0));
    }

    @Test
    void promptOfHasNoFields() {
        assertEquals(Map.of(), Prompt.of("x").fields());
        assertEquals(List.of(), Prompt.of("x").messages());
    }
}

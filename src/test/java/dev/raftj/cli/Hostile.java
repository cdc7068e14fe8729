package dev.raftj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.model.SafeTensors;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.pytorch.Tensor;

/** Tools for the hostile-input tests: edit a copied model's weights, header, config; a tiny align run. */
final class Hostile {
    private Hostile() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** Reads DIR/model.safetensors, lets {@code edit} change the tensors, writes them back (a valid file). */
    static void editTensors(Path dir, Consumer<Map<String, Tensor>> edit) {
        Path f = dir.resolve("model.safetensors");
        Map<String, Tensor> w = new LinkedHashMap<>(SafeTensors.read(f));
        edit.accept(w);
        SafeTensors.write(f, w, Map.of("format", "pt"));
    }

    /** Rewrites the JSON header of DIR/model.safetensors, keeping the data bytes as they are. */
    static void editHeader(Path dir, Consumer<ObjectNode> edit) throws Exception {
        Path f = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        edit.accept(header);
        writeRaw(f, header.toString().getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(all, 8 + (int) n, all.length));
    }

    /** A safetensors file from raw header bytes and data bytes. */
    static void writeRaw(Path f, byte[] header, byte[] data) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Files.write(f, b.array());
    }

    /** config.json as a tree, edited and written back. */
    static void editConfigJson(Path dir, Consumer<ObjectNode> edit) throws Exception {
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), c.toPrettyString());
    }

    /**
     * A run.yaml on 8 arith prompts (4 held out), k 2, 2 prompts a stage, one stage; {@code extra}
     * lines are appended (later keys must not repeat earlier ones).
     */
    static Path alignConfig(Path tmp, String reward, String... extra) throws Exception {
        Task arith = Tasks.get("arith");
        Files.write(tmp.resolve("train.jsonl"), Files.readAllLines(arith.trainFile()).subList(0, 8));
        Files.write(tmp.resolve("eval.jsonl"), Files.readAllLines(arith.evalFile()).subList(0, 4));
        Path cfg = tmp.resolve("run.yaml");
        StringBuilder sb = new StringBuilder(String.join("\n",
                "model: " + arith.policy(),
                "reward: " + reward,
                "prompts: train.jsonl",
                "eval_prompts: eval.jsonl",
                "threads: 1", ""));
        boolean sampling = false, sft = false, raft = false;
        for (String line : extra) {
            sb.append(line).append('\n');
            sampling |= line.startsWith("sampling:");
            sft |= line.startsWith("sft:");
            raft |= line.startsWith("raft:");
        }
        if (!sampling) sb.append("sampling: {k: 2, max_new_tokens: 4}\n");
        if (!sft) sb.append("sft: {epochs: 1, lr: 0.001, batch_size: 2}\n");
        if (!raft) sb.append("raft: {stages: 1, batch_prompts: 2}\n");
        Files.writeString(cfg, sb.toString());
        return cfg;
    }

    /** Exit 1, one "raftj: error:" line naming each of {@code mentions}, no stack trace, nothing on stdout. */
    static void assertRefused(CliTest.Run run, String... mentions) {
        CliTest.assertUserError(run, mentions);
        assertFalse(run.err().contains("internal error"), run.err());
        assertEquals("", run.out(), "nothing written to stdout before the error");
    }

    /** An align run that was refused before its output folder was made. */
    static void assertRefusedBeforeWriting(CliTest.Run run, Path out, String... mentions) {
        CliTest.assertUserError(run, mentions);
        assertFalse(run.err().contains("internal error"), run.err());
        assertFalse(Files.exists(out), "nothing written: " + out + " exists");
    }
}

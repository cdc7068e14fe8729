package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.reward.Scored;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A ReST Grow set as JSONL, one sample per line: {"prompt", "response", "tokens", "reward",
 * "valid"}. Written when the Grow step draws it; read back only when a run resumes between two
 * Improve steps of that Grow step (the policy has been improved since, so it cannot redraw it).
 */
final class GrowFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GrowFile() {}

    static Path of(Path dir, int grow) {
        return dir.resolve("grow-" + grow + ".jsonl");
    }

    /** Writes the set (temp file, then rename) and returns it. */
    static SampleBatch write(Path file, SampleBatch b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.promptTexts().size(); i++) {
            ObjectNode o = JSON.createObjectNode();
            o.put("prompt", b.promptTexts().get(i));
            o.put("response", b.responses().texts().get(i));
            var t = o.putArray("tokens");
            for (int id : b.responses().tokens().get(i)) t.add(id);
            double r = b.scored().rewards()[i];
            if (Double.isFinite(r)) o.put("reward", r); else o.putNull("reward");
            o.put("valid", b.scored().valid()[i]);
            sb.append(o).append('\n');
        }
        try {
            MetricsLog.writeAtomically(file, sb.toString());
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
        return b;
    }

    static SampleBatch read(Path file, AlignmentSetup setup) {
        if (!Files.exists(file)) throw new UserError(file + ": Grow set missing; cannot resume this ReST run");
        List<String> prompts = new ArrayList<>(), texts = new ArrayList<>();
        List<int[]> promptIds = new ArrayList<>(), tokens = new ArrayList<>();
        List<Double> rewards = new ArrayList<>();
        List<Boolean> valid = new ArrayList<>();
        long lineNo = 0;
        try {
            for (String line : Files.readAllLines(file)) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode o = JSON.readTree(line);
                prompts.add(o.get("prompt").asText());
                texts.add(o.get("response").asText());
                int[] t = new int[o.get("tokens").size()];
                for (int i = 0; i < t.length; i++) t[i] = o.get("tokens").get(i).asInt();
                tokens.add(t);
                JsonNode r = o.get("reward");
                rewards.add(r == null || r.isNull() ? Double.NaN : r.asDouble());
                valid.add(o.get("valid").asBoolean());
            }
        } catch (IOException | RuntimeException e) {
            throw UserError.line(file, lineNo, "malformed Grow sample: " + e.getMessage());
        }
        int n = prompts.size(), dropped = 0;
        double[] r = new double[n];
        boolean[] ok = new boolean[n];
        for (int i = 0; i < n; i++) {
            r[i] = rewards.get(i);
            ok[i] = valid.get(i);
            if (!ok[i]) dropped++;
            promptIds.add(setup.tokenizer().encode(prompts.get(i)));
        }
        int promptCount = (int) prompts.stream().distinct().count();
        return new SampleBatch(prompts, promptIds, new Responses(texts, tokens, new double[n], new boolean[n]),
                new Scored(r, ok, dropped, 0), null, null, promptCount);
    }
}

package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.reward.Scored;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A ReST Grow set as JSONL, one sample per line: {"prompt", "response", "tokens", "reward",
 * "valid", "logprob", "logprob_ref"}. Inspectable, and re-read instead of re-drawn on resume.
 */
final class GrowFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GrowFile() {}

    static SampleBatch readOrDraw(Path file, Supplier<SampleBatch> draw, AlignmentSetup setup) {
        if (Files.exists(file)) return read(file, setup);
        SampleBatch b = draw.get();
        if (b == null) throw new UserError(file + ": Grow set missing; cannot resume this ReST run");
        write(file, b);
        return b;
    }

    static void write(Path file, SampleBatch b) {
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
            o.put("logprob", b.responses().logprobSums()[i]);
            o.put("logprob_ref", b.logpRef()[i]);
            sb.append(o).append('\n');
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, sb);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    static SampleBatch read(Path file, AlignmentSetup setup) {
        List<String> prompts = new ArrayList<>(), texts = new ArrayList<>();
        List<int[]> promptIds = new ArrayList<>(), tokens = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
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
                rows.add(new double[] {r == null || r.isNull() ? Double.NaN : r.asDouble(), o.get("logprob").asDouble(),
                        o.get("logprob_ref").asDouble()});
                valid.add(o.get("valid").asBoolean());
            }
        } catch (IOException | RuntimeException e) {
            throw UserError.line(file, lineNo, "malformed Grow sample: " + e.getMessage());
        }
        int n = prompts.size();
        double[] rewards = new double[n], logp = new double[n], ref = new double[n];
        boolean[] ok = new boolean[n];
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            rewards[i] = rows.get(i)[0];
            logp[i] = rows.get(i)[1];
            ref[i] = rows.get(i)[2];
            ok[i] = valid.get(i);
            if (!ok[i]) dropped++;
            promptIds.add(setup.tokenizer().encode(prompts.get(i)));
        }
        int promptCount = (int) prompts.stream().distinct().count();
        return new SampleBatch(prompts, promptIds, new Responses(texts, tokens, logp),
                new Scored(rewards, ok, dropped, 0), ref, promptCount);
    }
}

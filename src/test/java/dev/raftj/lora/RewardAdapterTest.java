package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.Reference;
import dev.raftj.cli.Main;
import dev.raftj.model.RewardModel;
import dev.raftj.model.SafeTensors;
import dev.raftj.reward.ModelReward;
import dev.raftj.data.Tokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftj score --adapter}: a sequence-classification adapter as PEFT saves it (LoRA tensors
 * plus the head under {@code base_model.model.score.weight}, modules_to_save [classifier, score]).
 */
class RewardAdapterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static double[] cli(String... args) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, code, err.toString());
        String[] lines = out.toString().strip().split("\n");
        double[] s = new double[lines.length];
        for (int i = 0; i < s.length; i++) s[i] = JSON.readTree(lines[i]).get("score").asDouble();
        return s;
    }

    @Test
    void scoreWithAPeftSequenceClassificationAdapter(@TempDir Path tmp) throws Exception {
        Path base = Reference.model("gpt2-reward-tiny");
        RewardModel rm = RewardModel.load(base);
        LoraAdapter a = LoraAdapter.create(rm, new LoraConfig(4, 8.0, null, null, null, null, null), 1);
        try (NoGradGuard g = new NoGradGuard()) {
            for (var l : a.layers().values()) l.b().normal_(0, 0.3, null);
        }
        Path dir = tmp.resolve("adapter");
        PeftFiles.write(dir, a, base.toString());
        // what PEFT adds for task_type SEQ_CLS: the trained head beside the LoRA tensors
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(dir.resolve(PeftFiles.WEIGHTS)));
        Tensor head = SafeTensors.read(base.resolve(SafeTensors.SINGLE)).get("score.weight").mul(
                new org.bytedeco.pytorch.Scalar(-2.0));
        tensors.put("base_model.model.score.weight", head);
        SafeTensors.write(dir.resolve(PeftFiles.WEIGHTS), tensors, Map.of("format", "pt"));
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve(PeftFiles.CONFIG).toFile());
        cfg.put("task_type", "SEQ_CLS");
        cfg.set("modules_to_save", JSON.readTree("[\"classifier\", \"score\"]"));
        Files.writeString(dir.resolve(PeftFiles.CONFIG), cfg.toString());

        String[] pairs = {"--prompt", "The movie was", "--response", " great fun", "--prompt", "Free software",
                "--response", " is a matter of liberty"};
        List<String> args = new java.util.ArrayList<>(List.of("score", "--reward-model", base.toString(), "--format", "json"));
        args.addAll(List.of(pairs));
        double[] plain = cli(args.toArray(new String[0]));
        args.addAll(List.of("--adapter", dir.toString()));
        double[] adapted = cli(args.toArray(new String[0]));

        // the same model assembled by hand: this LoRA on the body, the saved head in place of the base's
        RewardModel byHand = RewardModel.load(base);
        byHand.attach(a);
        Tokenizer tok = Tokenizer.load(base, byHand.config().vocabSize, byHand.config().file);
        List<String> prompts = List.of("The movie was", "Free software");
        List<String> responses = List.of(" great fun", " is a matter of liberty");
        double[] loraOnly = new ModelReward(byHand, tok).score(prompts, responses);
        byHand.replaceHead(head, null);
        double[] want = new ModelReward(byHand, tok).score(prompts, responses);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], adapted[i], 1e-5, "pair " + i);
            assertTrue(Math.abs(loraOnly[i] - plain[i]) > 1e-3, "the LoRA part changes the score: " + loraOnly[i] + " vs " + plain[i]);
            assertTrue(Math.abs(want[i] - loraOnly[i]) > 1e-3, "the saved head is used");
        }
    }
}

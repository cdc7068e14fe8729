package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.cli.Main;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A merged model equals base + adapter (GPT-2's Conv1D weights take the transposed update). */
class LoraMergeTest {

    static float[] logits(CausalLM m) {
        try (NoGradGuard g = new NoGradGuard()) {
            return Torch.toFloats(m.logits(LoraAdapterTest.IDS, LoraAdapterTest.MASK));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void raftjMergeWritesBasePlusAdapter(String base, @TempDir Path tmp) {
        Path out = tmp.resolve("merged");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "merge", "--model",
                Reference.model(base).toString(), "--adapter", Reference.model(base + "-lora").toString(), "--out", out.toString());
        assertEquals(0, code, err.toString());
        CausalLM adapted = CausalLM.load(Reference.model(base));
        adapted.attach(PeftFiles.read(Reference.model(base + "-lora"), adapted, null));
        float[] want = logits(adapted);
        float[] got = logits(CausalLM.load(out));
        Reference.assertClose(base + " merged vs base + adapter", want, got, 1e-5, 1e-5);
        float[] plain = logits(adapted.withoutAdapter());
        double moved = 0;
        for (int i = 0; i < plain.length; i++) moved = Math.max(moved, Math.abs(plain[i] - want[i]));
        assertTrue(moved > 0.1, "the adapter changes the logits (by " + moved + "), so the comparison means something");
        assertTrue(Files.exists(out.resolve("tokenizer.json")), "the tokenizer travels with the merged model");
    }

    /** c_attn [64, 192] would not even add untransposed; square attn.c_proj [64, 64] would, wrongly: this pins it. */
    @Test
    void squareConv1dWeightsTakeTheTransposedUpdate() {
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        LoraAdapter a = LoraAdapter.create(model,
                new LoraConfig(4, 8.0, null, List.of("attn.c_proj"), null, null, null), 2);
        try (NoGradGuard g = new NoGradGuard()) {
            for (var l : a.layers().values()) l.b().normal_(0, 0.3, null);
        }
        model.attach(a);
        float[] want = logits(model);
        var merged = LoraMerge.mergedWeights(model, a);
        model.attach(null);
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : merged.entrySet()) model.weights().get(e.getKey()).copy_(e.getValue());
        }
        Reference.assertClose("merged Conv1D weights", want, logits(model), 1e-5, 1e-5);
    }
}

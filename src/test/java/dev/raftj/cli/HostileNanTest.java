package dev.raftj.cli;

import static dev.raftj.cli.CliTest.copyModel;
import static dev.raftj.cli.CliTest.raftj;
import static dev.raftj.cli.Hostile.assertRefused;
import static dev.raftj.cli.Hostile.assertRefusedBeforeWriting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.core.UserError;
import dev.raftj.model.CausalLM;
import dev.raftj.model.SafeTensors;
import dev.raftj.reward.FiniteReward;
import dev.raftj.reward.RewardError;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Family 2 of issue 14: NaN and ±∞ from weights, activations, losses, rewards and flags stop with
 * an error that names the model (or flag) before anything is written; on_reward_error: drop stays
 * the opt-in for rewards.
 */
class HostileNanTest {

    private static void poison(Path model, String tensor, double value) {
        Hostile.editTensors(model, w -> {
            Tensor t = w.get(tensor).clone();
            t.view(-1).narrow(0, 3, 2).fill_(new Scalar(value));
            w.put(tensor, t);
        });
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void generateRefusesNonFiniteWeights(double value, @TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        poison(m, "transformer.h.1.mlp.c_fc.weight", value);
        assertRefused(raftj("generate", "--model", m.toString(), "--prompt", "Hello", "--format", "json"),
                "model.safetensors", "transformer.h.1.mlp.c_fc.weight", "non-finite", Double.isNaN(value) ? "2 NaN" : "inf");
    }

    @Test
    void bfloat16AndShardedCheckpointsAreScannedToo(@TempDir Path tmp) throws Exception {
        Path m = copyModel("llama-tiny", tmp);
        Hostile.editTensors(m, w -> {
            w.replaceAll((k, v) -> v.to(ScalarType.BFloat16));
            w.get("model.layers.1.self_attn.o_proj.weight").view(-1).narrow(0, 7, 1).fill_(new Scalar(Double.NaN));
        });
        assertRefused(raftj("generate", "--model", m.toString(), "--prompt", "Hi"), "model.layers.1.self_attn.o_proj.weight",
                "1 NaN");
        // the same model in two shards, the NaN in the second
        Map<String, Tensor> all = SafeTensors.read(m.resolve("model.safetensors"));
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder("{\"weight_map\": {");
        all.forEach((k, v) -> {
            boolean second = k.contains("layers.1");
            (second ? b : a).put(k, v);
            map.append(map.length() > 16 ? "," : "").append('"').append(k).append("\": \"")
                    .append(second ? "model-2.safetensors" : "model-1.safetensors").append('"');
        });
        Files.delete(m.resolve("model.safetensors"));
        SafeTensors.write(m.resolve("model-1.safetensors"), a, null);
        SafeTensors.write(m.resolve("model-2.safetensors"), b, null);
        Files.writeString(m.resolve("model.safetensors.index.json"), map + "}}");
        assertRefused(raftj("generate", "--model", m.toString(), "--prompt", "Hi"), "model-2.safetensors",
                "model.layers.1.self_attn.o_proj.weight");
    }

    @Test
    void scoreRefusesNonFiniteRewardModelWeights(@TempDir Path tmp) throws Exception {
        Path rm = copyModel("gpt2-reward-tiny", tmp);
        poison(rm, "score.weight", Double.NaN);
        assertRefused(raftj("score", "--reward-model", rm.toString(), "--prompt", "a", "--response", "b"),
                rm.resolve("model.safetensors").toString(), "score.weight", "NaN");
    }

    /** Finite weights whose activations overflow: the logits are checked at every step. */
    @Test
    void generateRefusesOverflowingLogits(@TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        Hostile.editTensors(m, w -> w.put("transformer.ln_f.weight", w.get("transformer.ln_f.weight").clone()
                .fill_(new Scalar(3e38))));
        assertRefused(raftj("generate", "--model", m.toString(), "--prompt", "Hello", "--greedy"),
                m.toString(), "logits", "non-finite");
    }

    /** Finite weights, a score that overflows: named with the reward model's folder, nothing printed. */
    @Test
    void scoreRefusesAnOverflowingScore(@TempDir Path tmp) throws Exception {
        Path rm = copyModel("gpt2-reward-tiny", tmp);
        Hostile.editTensors(rm, w -> w.put("score.weight", w.get("score.weight").clone().fill_(new Scalar(3e38))));
        assertRefused(raftj("score", "--reward-model", rm.toString(), "--prompt", "a", "--response", "b",
                "--prompt", "c", "--response", "d"), "reward model " + rm, "scored pair 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--temperature=NaN", "--temperature=Infinity", "--temperature=-Infinity", "--top-p=NaN",
            "--min-p=NaN", "--min-p=Infinity", "--top-p=Infinity"})
    void nonFiniteFlagsAreRefusedNamingTheFlag(String flag) {
        String name = flag.substring(0, flag.indexOf('='));
        assertRefused(raftj("generate", "--model", Reference.model("gpt2-tiny").toString(), "--prompt", "x", flag), name);
    }

    @Test
    void alignRefusesANonFinitePolicyBeforeWriting(@TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        poison(m, "transformer.wte.weight", Double.POSITIVE_INFINITY);
        Path cfg = Hostile.alignConfig(tmp, "task:arith");
        Files.writeString(cfg, Files.readString(cfg).replaceFirst("model: .*", "model: " + m));
        Path out = tmp.resolve("run");
        assertRefusedBeforeWriting(raftj("align", "--config", cfg.toString(), "--out", out.toString()), out,
                "transformer.wte.weight", "+inf");
    }

    @Test
    void alignRefusesANonFiniteRewardModelBeforeWriting(@TempDir Path tmp) throws Exception {
        Path rm = copyModel("gpt2-reward-tiny", tmp);
        poison(rm, "transformer.h.0.ln_1.bias", Double.NaN);
        Path out = tmp.resolve("run");
        assertRefusedBeforeWriting(raftj("align", "--config", Hostile.alignConfig(tmp, "model:" + rm).toString(),
                "--out", out.toString()), out, rm.toString(), "transformer.h.0.ln_1.bias", "NaN");
    }

    /** A reward model that loads but scores ±∞: the run stops naming its folder; drop skips the samples instead. */
    @Test
    void alignStopsAtAnInfiniteRewardModelScoreUnlessDropped(@TempDir Path tmp) throws Exception {
        Path rm = copyModel("gpt2-reward-tiny", tmp);
        Hostile.editTensors(rm, w -> w.put("score.weight", w.get("score.weight").clone().fill_(new Scalar(3e38))));
        Path out = tmp.resolve("run");
        CliTest.Run run = raftj("align", "--config", Hostile.alignConfig(tmp, "model:" + rm).toString(),
                "--out", out.toString());
        CliTest.assertUserError(run, "model:" + rm, "on_reward_error");
        assertFalse(Files.exists(out.resolve("checkpoint").resolve("model.safetensors"))
                && Files.readString(out.resolve("metrics.jsonl")).contains("\"stage\":1"), "no stage trained on it");
        Path cfg = Hostile.alignConfig(tmp, "model:" + rm, "on_reward_error: drop");
        CliTest.Run dropped = raftj("align", "--config", cfg.toString(), "--out", tmp.resolve("run2").toString());
        assertEquals(0, dropped.code(), dropped.err());
    }

    /** A step on a NaN loss is refused and changes nothing; the optimizer never sees it. */
    @Test
    void sftStepRefusesANonFiniteLossAndLeavesTheWeights(@TempDir Path tmp) throws Exception {
        Torch.ensureInit();
        CausalLM lm = CausalLM.load(Reference.model("gpt2-tiny"));
        SftStep step = new SftStep(lm, 1e-3, 0.0, 1.0);
        Tensor ids = Torch.longs(new long[] {5, 6, 7, 8}, 1, 4);
        Tensor mask = Torch.longs(new long[] {1, 1, 1, 1}, 1, 4);
        Tensor labels = Torch.longs(new long[] {-100, 6, 7, 8}, 1, 4);
        Tensor probe = lm.weights().get("transformer.h.0.attn.c_attn.weight");
        try (NoGradGuard g = new NoGradGuard()) {
            lm.weights().get("transformer.ln_f.weight").fill_(new Scalar(Double.NaN));
        }
        float[] before = Torch.toFloats(probe);
        UserError e = assertThrows(UserError.class, () -> step.step(ids, mask, labels));
        assertTrue(e.getMessage().contains("loss NaN") && e.getMessage().contains("gpt2-tiny"), e.getMessage());
        assertTrue(java.util.Arrays.equals(before, Torch.toFloats(probe)), "weights unchanged");
    }

    /** A checkpoint is never written with NaN/inf weights, and its folder is left as it was. */
    @Test
    void checkpointsWithNonFiniteWeightsAreNotSaved(@TempDir Path tmp) {
        CausalLM lm = CausalLM.load(Reference.model("gpt2-tiny"));
        try (NoGradGuard g = new NoGradGuard()) {
            lm.weights().get("transformer.h.0.mlp.c_proj.bias").fill_(new Scalar(Double.POSITIVE_INFINITY));
        }
        UserError e = assertThrows(UserError.class, () -> lm.save(tmp.resolve("ckpt")));
        assertTrue(e.getMessage().contains("transformer.h.0.mlp.c_proj.bias"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("ckpt")));
    }

    /** on_reward_error: fail holds for every caller (held-out evaluation too); a filter's −∞ is not an error. */
    @Test
    void failingRewardsNameTheRewardAndSample() {
        var nan = new dev.raftj.reward.Reward() {
            public double[] score(List<String> p, List<String> r) { return new double[] {1.0, Double.NaN}; }
            public String name() { return "model:/models/rm"; }
        };
        RewardError e = assertThrows(RewardError.class, () -> new FiniteReward(nan).score(List.of("a", "b"), List.of("c", "d")));
        assertTrue(e.getMessage().contains("model:/models/rm") && e.getMessage().contains("sample 1"), e.getMessage());
        var filter = new dev.raftj.reward.Reward() {
            public double[] score(List<String> p, List<String> r) { return new double[] {Double.NEGATIVE_INFINITY}; }
            public boolean filters() { return true; }
        };
        assertEquals(Double.NEGATIVE_INFINITY, new FiniteReward(filter).score(List.of("a"), List.of("b"))[0]);
    }
}

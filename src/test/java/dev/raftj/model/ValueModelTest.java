package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.tasks.Tasks;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO's critic: a reward model's body and head read at every position, or a policy's body with a fresh head. */
class ValueModelTest {

    /** Started from a reward model, the critic's value at each sequence's last token is HF's reward score. */
    @Test
    void fromARewardModelTheLastValueIsTheRewardScore() {
        Map<String, Tensor> g = Reference.golden("gpt2-reward-tiny");
        ValueModel critic = ValueModel.load(Reference.model("gpt2-reward-tiny"), new Device("cpu"), 0);
        assertFalse(critic.freshHead());
        RewardModel rm = RewardModel.load(Reference.model("gpt2-reward-tiny"));
        Tensor ids = g.get("input_ids"), mask = g.get("attention_mask");
        Tensor values = critic.values(ids, mask);
        assertEquals(ids.size(1), values.size(1), "one value per position");
        Tensor last = values.gather(1, rm.lastTokenIndex(ids, mask).unsqueeze(1)).squeeze(1);
        Reference.assertClose("critic at the last token vs HF scores", Torch.toFloats(g.get("scores")), Torch.toFloats(last),
                1e-4, 0);
    }

    /** From a causal LM: a fresh head drawn by seed; saved as *ForSequenceClassification it loads back to the same values. */
    @Test
    void fromAPolicyAFreshSeededHeadThatSavesAsAClassifier(@TempDir Path tmp) throws Exception {
        Path policy = Tasks.get("arith").policy();
        ValueModel a = ValueModel.load(policy, new Device("cpu"), 7), same = ValueModel.load(policy, new Device("cpu"), 7),
                other = ValueModel.load(policy, new Device("cpu"), 8);
        assertTrue(a.freshHead());
        Tensor ids = Torch.longs(new long[] {20, 21, 22, 23, 24, 1}, 1, 6), mask = Torch.longs(new long[] {1, 1, 1, 1, 1, 0}, 1, 6);
        float[] va = Torch.toFloats(a.values(ids, mask));
        assertArrayEquals(va, Torch.toFloats(same.values(ids, mask)), "the same seed draws the same head");
        assertFalse(java.util.Arrays.equals(va, Torch.toFloats(other.values(ids, mask))), "another seed, another head");
        float max = 0;
        for (float v : va) max = Math.max(max, Math.abs(v));
        assertTrue(max > 0 && max < 1, "N(0, 0.02²) weights give small, non-zero values: " + max);
        assertEquals(a.parameters().size(), ValueModel.load(policy, new Device("cpu"), 7).parameters().size());
        Path saved = tmp.resolve("critic");
        a.save(saved);
        assertTrue(Files.readString(saved.resolve("config.json")).contains("GPT2ForSequenceClassification"));
        ValueModel back = ValueModel.load(saved, new Device("cpu"), 99);
        assertFalse(back.freshHead(), "the saved head is read back, not drawn");
        assertArrayEquals(va, Torch.toFloats(back.values(ids, mask)));
        assertEquals(1, RewardModel.load(saved).config().numLabels, "a reward-model folder HF and raftj can load");
    }
}

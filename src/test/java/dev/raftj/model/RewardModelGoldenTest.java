package dev.raftj.model;

import dev.raftj.torch.Torch;
import dev.raftj.Reference;
import dev.raftj.kernels.TorchKernels;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class RewardModelGoldenTest {

    @Test
    void scoresAtLastNonPadTokenMatchHf() {
        Map<String, Tensor> g = Reference.golden("gpt2-reward-tiny");
        RewardModel rm = RewardModel.load(Reference.model("gpt2-reward-tiny"));
        Tensor scores = rm.scores(g.get("input_ids"), g.get("attention_mask"), new TorchKernels());
        Reference.assertClose("reward scores", Torch.toFloats(g.get("scores")), Torch.toFloats(scores), 1e-4, 0);
    }
}

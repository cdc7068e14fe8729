package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO with the adversarial reward on one global batch of 5 prompts × 4 samples: two processes
 * (child JVMs over Gloo on 127.0.0.1, holding 3 and 2 prompts) end two stages of updates with the
 * weights one process reaches on the whole batch (policy, critic and discriminator, within float32
 * rounding), report its figures (losses, KL, explained variance, discriminator loss), and hold
 * bit-identical replicas.
 */
class PpoDataParallelTest {
    static Path config(Path tmp) throws Exception {
        Path cfg = AdversarialRunTest.config(tmp, 1, "adversarial", ", replay: 1");
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: ppo\nppo: {stages: 2, batch_prompts: 5, lr: 0.0003,"
                + " epochs: 2, minibatches: 3, kl_estimator: k3}\n");
        return cfg;
    }

    @Test
    void twoProcessesOnUnequalShardsTrainAsOneProcessOnTheWholeBatch(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        String[] out = StageChildren.run(PpoStageChild.class, tmp, cfg);
        String alone = out[0], rank0 = out[1], rank1 = out[2];
        for (int stage = 1; stage <= 2; stage++) {
            StageChildren.assertShardsAgreeWithOneProcess(alone, rank0, rank1, stage, "pg vf clip akl kl rowkl ev disc acc");
        }
        // 2 stages × 2 epochs × 3 minibatches = 12 AdamW steps of lr 3e-4: no weight moves more than 12 × lr
        StageChildren.assertSameWeights(tmp, 3e-5, 12 * 3e-4);
    }
}

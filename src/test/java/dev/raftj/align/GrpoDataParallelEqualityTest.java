package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO (β &gt; 0) on one global batch of 5 prompts × 4 samples: two processes (child JVMs over Gloo
 * on 127.0.0.1, holding 3 and 2 prompts) end two stages of updates, the first aggregating the loss
 * per token and the second per sequence, with the weights one process reaches on the whole batch
 * (within float32 rounding), report its figures (step losses, clip fraction, KLs, entropy), and hold
 * bit-identical replicas; with minibatches of 2 rows some steps find a rank without rows.
 */
class GrpoDataParallelEqualityTest {

    @Test
    void twoProcessesOnUnequalShardsTrainAsOneProcessOnTheWholeBatch(@TempDir Path tmp) throws Exception {
        Path cfg = AdversarialRunTest.config(tmp, 1, "adversarial", ", replay: 1");
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: grpo\ngrpo: {stages: 2, batch_prompts: 5, lr: 0.0003,"
                + " iterations: 2, minibatches: 10, beta: 0.04}\n");
        String[] out = StageChildren.run(GrpoStageChild.class, tmp, cfg);
        String alone = out[0], rank0 = out[1], rank1 = out[2];
        for (int stage = 1; stage <= 2; stage++) {
            StageChildren.assertShardsAgreeWithOneProcess(alone, rank0, rank1, stage, "pg clip akl ent klref");
            assertEquals(20, StageChildren.numbers(StageChildren.figures(alone, stage)[1]).length, "2 iterations × 10 minibatches");
            assertEquals(0, idleSteps(alone, stage));
            assertTrue(idleSteps(rank0, stage) + idleSteps(rank1, stage) > 0, "some minibatch lies on one rank only");
        }
        // 2 stages × 2 iterations × 10 minibatches = 40 AdamW steps of lr 3e-4: no weight moves more than 40 × lr
        StageChildren.assertSameWeights(tmp, 3e-5, 40 * 3e-4);
    }

    private static int idleSteps(String output, int stage) {
        Matcher m = Pattern.compile("stage " + stage + " idle steps (\\d+)").matcher(output);
        assertTrue(m.find(), output);
        return Integer.parseInt(m.group(1));
    }
}

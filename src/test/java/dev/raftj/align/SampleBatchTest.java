package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.generate.Generator;
import dev.raftj.reward.OnError;
import dev.raftj.reward.RewardGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log-probabilities KL-adjusted ranking uses belong to exactly the tokens that are fine-tuned on. */
class SampleBatchTest {

    @Test
    void logprobsOfBothPoliciesAreOnTheTrainingTokensEvenWhenAStopCutsTheResponse(@TempDir Path tmp) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 1);
        // "1" stops many arith answers mid-response: those responses are re-encoded from the cut text + EOS
        RunConfig c = ConfigLoader.withChanges(ConfigLoader.load(cfg, RunConfig.class),
                Map.of("sampling.stop", List.of("1"), "sampling.k", 8), cfg);
        AlignmentSetup setup = new AlignmentSetup(c, null, cfg.getParent());
        setup.policy().weights().values().forEach(w -> { // a policy that differs from π0
            try (var g = new org.bytedeco.pytorch.NoGradGuard()) {
                w.mul_(new org.bytedeco.pytorch.Scalar(1.01));
            }
        });
        SampleBatch b = SampleBatch.draw(setup, new Generator(setup.policy(), 512),
                new RewardGuard(setup.reward(), OnError.FAIL), setup.train().subList(0, 8), 7L, true, new Timer());
        int cut = 0;
        for (boolean x : b.responses().cut()) if (x) cut++;
        assertTrue(cut > 0 && cut < b.responses().cut().length, "some responses were cut at the stop: " + cut);
        double[] logp = SequenceLogprobs.of(setup.policy(), b.promptIds(), b.responses().tokens(), 64);
        double[] logpRef = SequenceLogprobs.of(setup.reference(), b.promptIds(), b.responses().tokens(), 64);
        for (int i = 0; i < logp.length; i++) {
            assertEquals(logp[i], b.logp()[i], 1e-4, "log π of sample " + i + " (cut " + b.responses().cut()[i] + ")");
            assertEquals(logpRef[i], b.logpRef()[i], 1e-4, "log π0 of sample " + i);
        }
        assertTrue(Files.exists(cfg));
    }
}

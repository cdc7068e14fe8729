package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.DiscriminatorConfig;
import dev.raftj.model.RewardModel;
import dev.raftj.reward.ModelReward;
import dev.raftj.data.Tokenizer;
import dev.raftj.tasks.Tasks;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RLGAF's discriminator on tiny settings: balanced batching, targets, the BCE step, HF round trip. */
class DiscriminatorTest {

    static DiscriminatorConfig config(double lr, int steps, int batch, double smoothing, DiscriminatorConfig.RewardForm form) {
        return new DiscriminatorConfig(null, lr, steps, batch, smoothing, form, null, null, 0.0, null, null, null, null);
    }

    static Discriminator fromArithPolicy(DiscriminatorConfig c) {
        return Discriminator.load(Tasks.get("arith").policy(), new Device("cpu"), 42, c);
    }

    @Test
    void balancedBatchesHaveAsManyRealAsFakeAndDependOnlyOnTheirSeedAndStep() {
        Discriminator.Batch b = Discriminator.balancedBatch(10, 7, 8, 3, 0);
        assertEquals(4, b.real().length);
        assertEquals(4, b.fake().length);
        assertTrue(Arrays.stream(b.real()).allMatch(i -> i >= 0 && i < 10));
        assertTrue(Arrays.stream(b.fake()).allMatch(i -> i >= 0 && i < 7));
        assertEquals(4, Arrays.stream(b.real()).distinct().count(), "without replacement while the pool lasts");
        Discriminator.Batch again = Discriminator.balancedBatch(10, 7, 8, 3, 0);
        assertArrayEquals(b.real(), again.real());
        assertArrayEquals(b.fake(), again.fake());
        Discriminator.Batch other = Discriminator.balancedBatch(10, 7, 8, 3, 1);
        assertFalse(Arrays.equals(b.real(), other.real()) && Arrays.equals(b.fake(), other.fake()), "another step, another batch");
        // a pool smaller than half a batch is cycled through: every item once before any twice
        Discriminator.Batch small = Discriminator.balancedBatch(3, 2, 8, 3, 0);
        assertEquals(4, small.real().length);
        Set<Integer> firstThree = new HashSet<>();
        for (int i = 0; i < 3; i++) firstThree.add(small.real()[i]);
        assertEquals(Set.of(0, 1, 2), firstThree);
        assertEquals(small.real()[0], small.real()[3]);
        assertThrows(IllegalArgumentException.class, () -> Discriminator.balancedBatch(3, 2, 7, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> Discriminator.balancedBatch(0, 2, 8, 3, 0));
    }

    @Test
    void targetsAreOneSidedSmoothedAndTheRewardIsTheLogitOrLogSigmoid() {
        assertArrayEquals(new float[] {0.9f, 0.9f, 0f}, Discriminator.targets(2, 1, 0.1));
        assertArrayEquals(new float[] {1f, 0f, 0f}, Discriminator.targets(1, 2, 0.0));
        assertEquals(2.5, Discriminator.reward(2.5, DiscriminatorConfig.RewardForm.LOGIT));
        assertEquals(Math.log(0.5), Discriminator.reward(0, DiscriminatorConfig.RewardForm.LOGSIGMOID), 1e-12);
        assertEquals(Math.log(1 / (1 + Math.exp(-3))), Discriminator.reward(3, DiscriminatorConfig.RewardForm.LOGSIGMOID), 1e-12);
        assertEquals(-1000, Discriminator.reward(-1000, DiscriminatorConfig.RewardForm.LOGSIGMOID), 1e-9, "stable far out");
        // evaluate: accuracy = mean of the real and fake accuracies; loss = mean −log σ(±z)
        Discriminator.Eval e = Discriminator.evaluate(new double[] {1, -1}, new double[] {-2, -3, 4, -1});
        assertEquals(0.5 * (0.5 + 0.75), e.accuracy(), 1e-12);
        double loss = (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1)) + Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-3))
                + Math.log1p(Math.exp(4)) + Math.log1p(Math.exp(-1))) / 6;
        assertEquals(loss, e.loss(), 1e-12);
    }

    @Test
    void oneStepLowersTheCrossEntropyOfItsBatch() {
        Discriminator d = fromArithPolicy(config(1e-3, 1, 4, 0.0, DiscriminatorConfig.RewardForm.LOGIT));
        List<Discriminator.Pair> real = List.of(new Discriminator.Pair("1+2=", "3"), new Discriminator.Pair("4+4=", "8"));
        List<Discriminator.Pair> fake = List.of(new Discriminator.Pair("1+2=", "77+"), new Discriminator.Pair("4+4=", "1=+"));
        double before = d.evaluate(real, fake).loss();
        double stepLoss = d.step(real.stream().map(Discriminator.Pair::text).toList(), fake.stream().map(Discriminator.Pair::text).toList());
        assertEquals(before, stepLoss, 1e-5, "the step reports the loss before it");
        double after = d.evaluate(real, fake).loss();
        assertTrue(after < before, "BCE " + before + " -> " + after);
        // the reward the policy is paid is the (updated) logit of prompt + response
        double[] z = d.score(List.of("1+2=", "1+2="), List.of("3", "77+"));
        assertTrue(z[0] > z[1], Arrays.toString(z));
    }

    @Test
    void trainingFollowsItsSeedExactlyAndSavesAModelThatRaftjScoreReads(@TempDir Path tmp) {
        DiscriminatorConfig c = config(1e-3, 3, 4, 0.1, DiscriminatorConfig.RewardForm.LOGSIGMOID);
        List<Discriminator.Pair> real = List.of(new Discriminator.Pair("1+2=", "3"), new Discriminator.Pair("4+4=", "8"),
                new Discriminator.Pair("5+1=", "6"));
        List<Discriminator.Pair> fake = List.of(new Discriminator.Pair("1+2=", "9"), new Discriminator.Pair("4+4=", "1"),
                new Discriminator.Pair("2+2=", "22"));
        Discriminator a = fromArithPolicy(c), b = fromArithPolicy(c);
        double la = a.train(real, fake, 11, 3), lb = b.train(real, fake, 11, 3);
        assertEquals(la, lb, "same seed, same steps");
        double[] za = a.score(List.of("7+1="), List.of("8")), zb = b.score(List.of("7+1="), List.of("8"));
        assertArrayEquals(za, zb);
        assertTrue(za[0] < 0, "log-sigmoid reward is negative: " + za[0]);
        a.save(tmp);
        RewardModel rm = RewardModel.load(tmp.resolve(Discriminator.DIR));
        double[] viaScore = new ModelReward(rm, Tokenizer.load(tmp.resolve(Discriminator.DIR), rm.config().vocabSize,
                rm.config().file)).score(List.of("7+1="), List.of("8"));
        double logit = a.logitValues(List.of("7+1=8"))[0];
        assertEquals(logit, viaScore[0], 1e-4, "raftj score reads the saved discriminator's logit");
        assertNotEquals(0.0, logit);
    }

    @Test
    void ngramOverlapCountsTheSamplesUnigramsAndBigramsFoundInTheReferences() {
        // a, b hit, c misses; "a b" hits, "b c" misses: 3 of 5
        assertEquals(0.6, Adversarial.ngramOverlap(List.of("a b c"), List.of("x a b")), 1e-12);
        assertEquals(1.0, Adversarial.ngramOverlap(List.of("A  B"), List.of("a b")), 1e-12);
        assertEquals(0.0, Adversarial.ngramOverlap(List.of("one"), List.of("a b")), 1e-12);
        assertTrue(Double.isNaN(Adversarial.ngramOverlap(List.of(" "), List.of("a b"))));
    }

    @Test
    void replayKeepsTheNewestStagesAndThePoolHoldsFreshSamplesThenTheReplayedOnes() {
        List<List<String>> history = new java.util.ArrayList<>();
        Adversarial.remember(history, List.of("s1a", "s1b"), 2);
        Adversarial.remember(history, List.of("s2"), 2);
        Adversarial.remember(history, List.of("s3"), 2);
        assertEquals(List.of(List.of("s3"), List.of("s2")), history, "newest first, stage 1 dropped");
        assertEquals(List.of("s4", "s3", "s2"), Adversarial.fakePool(List.of("s4"), history));
        List<List<String>> none = new java.util.ArrayList<>();
        Adversarial.remember(none, List.of("s1"), 0);
        assertEquals(List.of(), none, "replay 0 keeps nothing");
        assertEquals(List.of("s1"), Adversarial.fakePool(List.of("s1"), none));
    }
}

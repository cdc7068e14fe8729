package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.dist.ChildJvms;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Pattern STAGE = Pattern.compile("stage (\\d) rows (\\d+) losses \\[([^]]*)] (.*)");

    static Path config(Path tmp) throws Exception {
        Path cfg = AdversarialRunTest.config(tmp, 1, "adversarial", ", replay: 1");
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: ppo\nppo: {stages: 2, batch_prompts: 5, lr: 0.0003,"
                + " epochs: 2, minibatches: 3, kl_estimator: k3}\n");
        return cfg;
    }

    @Test
    void twoProcessesOnUnequalShardsTrainAsOneProcessOnTheWholeBatch(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        List<ChildJvms.Child> two = ChildJvms.start(PpoStageChild.class, 2, ChildJvms.freePort(), 60, tmp.toString(), cfg.toString());
        List<ChildJvms.Child> one = ChildJvms.start(PpoStageChild.class, 1, ChildJvms.freePort(), 60, tmp.toString(), cfg.toString());
        List<ChildJvms.Child> all = new ArrayList<>(two);
        all.addAll(one);
        try {
            for (ChildJvms.Child c : all) {
                assertTrue(c.process().waitFor(240, TimeUnit.SECONDS), "finished:\n" + c.output());
                assertEquals(0, c.process().exitValue(), c.output().toString());
            }
            String alone = one.get(0).output().toString(), rank0 = two.get(0).output().toString(), rank1 = two.get(1).output().toString();
            for (int stage = 1; stage <= 2; stage++) {
                String[] a = figures(alone, stage), r0 = figures(rank0, stage), r1 = figures(rank1, stage);
                assertEquals("20", a[0]);
                assertEquals("12", r0[0], "rank 0 holds 3 prompts' rows");
                assertEquals("8", r1[0], "rank 1 holds 2 prompts' rows");
                assertEquals(r0[1] + r0[2], r1[1] + r1[2], "both ranks report the same figures");
                assertClose(numbers(a[1]), numbers(r0[1]), "stage " + stage + " step losses");
                assertClose(numbers(a[2]), numbers(r0[2]), "stage " + stage + " pg vf clip akl kl rowkl ev disc acc");
            }
            float[] w1 = weights(tmp, 1, 0), w20 = weights(tmp, 2, 0), w21 = weights(tmp, 2, 1);
            assertArrayEquals(w20, w21, "the replicas are identical");
            // GPT-2's fused q,k,v bias: the key part's true gradient is 0 (softmax ignores a shift shared by
            // all keys), and AdamW (eps 1e-8) turns its float rounding noise into steps of up to ~lr in any
            // process, whatever the summation order (see SftStepChild): those elements are left out.
            int hidden = dev.raftj.model.ModelConfig.load(dev.raftj.tasks.Tasks.get("arith").policy()).hidden;
            List<String> sizes = Files.readAllLines(tmp.resolve("sizes.txt"));
            double maxDiff = 0;
            String where = "";
            for (int j = 0, from = 0; j < sizes.size(); from += Integer.parseInt(sizes.get(j)), j++) {
                int n = Integer.parseInt(sizes.get(j));
                for (int i = 0; i < n; i++) {
                    if (n == 3 * hidden && i >= hidden && i < 2 * hidden) continue;
                    double d = Math.abs(w1[from + i] - w20[from + i]);
                    if (d > maxDiff) {
                        maxDiff = d;
                        where = "tensor " + j + " (" + n + " values) element " + i;
                    }
                }
            }
            // 2 stages × 2 epochs × 3 minibatches AdamW steps of lr 3e-4 move weights by up to ~4e-3
            assertTrue(maxDiff < 3e-5, "2 processes = 1 process on the same batch; max |Δw| " + maxDiff + " at " + where);
        } finally {
            ChildJvms.killAll(all);
        }
    }

    /** The stage's row count, step losses and the other figures. */
    private static String[] figures(String output, int stage) {
        Matcher m = STAGE.matcher(output);
        while (m.find()) if (m.group(1).equals(String.valueOf(stage))) return new String[] {m.group(2), m.group(3), m.group(4)};
        throw new AssertionError("no stage " + stage + " in:\n" + output);
    }

    private static double[] numbers(String text) {
        Matcher m = Pattern.compile("-?[0-9.]+(?:[eE][-+]?\\d+)?|NaN").matcher(text);
        List<Double> out = new ArrayList<>();
        while (m.find()) out.add(Double.parseDouble(m.group()));
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-5 + 1e-4 * Math.abs(expected[i]),
                    what + ": figure " + i + ": one process " + expected[i] + ", two " + actual[i]);
        }
    }

    private static float[] weights(Path dir, int world, int rank) throws Exception {
        Path f = dir.resolve("weights-" + world + "-" + rank + ".bin");
        float[] out = new float[(int) (Files.size(f) / 4)];
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(f)))) {
            for (int i = 0; i < out.length; i++) out[i] = in.readFloat();
        }
        return out;
    }
}

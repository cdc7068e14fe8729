package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.RunConfig;
import dev.raftj.dist.ChildJvms;
import dev.raftj.dist.Shards;
import dev.raftj.dist.World;
import dev.raftj.generate.Generator;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The harness of the data-parallel equality tests ({@link PpoDataParallelTest}, {@link
 * GrpoDataParallelEqualityTest}): a stage child ({@link PpoStageChild}, {@link GrpoStageChild}) runs as 2
 * processes and as 1 on the same global batch; each prints {@code stage S rows N losses [...] REST}
 * per stage and writes its weights to OUT/weights-W-R.bin (sizes in OUT/sizes.txt).
 */
final class StageChildren {
    private static final Pattern STAGE = Pattern.compile("stage (\\d) rows (\\d+) losses \\[([^]]*)] (.*)");

    private StageChildren() {}

    /** The outputs of the lone process, rank 0 and rank 1, all of which must succeed. */
    static String[] run(Class<?> child, Path tmp, Path cfg) throws Exception {
        List<ChildJvms.Child> two = ChildJvms.start(child, 2, ChildJvms.freePort(), 60, tmp.toString(), cfg.toString());
        List<ChildJvms.Child> one = ChildJvms.start(child, 1, ChildJvms.freePort(), 60, tmp.toString(), cfg.toString());
        List<ChildJvms.Child> all = new ArrayList<>(two);
        all.addAll(one);
        try {
            for (ChildJvms.Child c : all) {
                assertTrue(c.process().waitFor(240, TimeUnit.SECONDS), "finished:\n" + c.output());
                assertEquals(0, c.process().exitValue(), c.output().toString());
            }
            return new String[] {one.get(0).output().toString(), two.get(0).output().toString(), two.get(1).output().toString()};
        } finally {
            ChildJvms.killAll(all);
        }
    }

    /** The stage's row count, step losses and the other figures. */
    static String[] figures(String output, int stage) {
        Matcher m = STAGE.matcher(output);
        while (m.find()) if (m.group(1).equals(String.valueOf(stage))) return new String[] {m.group(2), m.group(3), m.group(4)};
        throw new AssertionError("no stage " + stage + " in:\n" + output);
    }

    static double[] numbers(String text) {
        Matcher m = Pattern.compile("-?[0-9.]+(?:[eE][-+]?\\d+)?|NaN").matcher(text);
        List<Double> out = new ArrayList<>();
        while (m.find()) out.add(Double.parseDouble(m.group()));
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Equal within float32 noise as AdamW amplifies it: the first steps move every weight by ~lr
     * whatever its gradient's size, so a rounding difference in a gradient of ~0 changes a loss
     * several optimizer steps later by up to ~2e-4 (seen on one CPU, not on another). A real
     * weighting bug moves them by ~1e-2 or more (GRPO with rows instead of tokens: 0.030 vs 0.099).
     */
    static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 5e-4 + 1e-4 * Math.abs(expected[i]),
                    what + ": figure " + i + ": one process " + expected[i] + ", two " + actual[i]);
        }
    }

    /**
     * The replicas are identical, and the lone process's weights equal theirs within {@code tolerance}
     * except for at most 1 in 10,000 weights, which may differ by up to {@code outlier}. Those are the
     * weights whose true gradient is ~0 in some step: AdamW (eps 1e-8) turns the gradient's float
     * rounding noise, which depends on the summation order, into a step of up to ~lr in either
     * direction. GPT-2's fused key bias is always one (softmax ignores a shift shared by all keys:
     * see SftStepChild) and is left out; on one CPU, one V weight out of 237,120 was another (3.2e-4
     * after 40 steps of lr 3e-4, the next largest difference 2e-5).
     */
    static void assertSameWeights(Path dir, double tolerance, double outlier) throws Exception {
        float[] w1 = weights(dir, 1, 0), w20 = weights(dir, 2, 0), w21 = weights(dir, 2, 1);
        assertArrayEquals(w20, w21, "the replicas are identical");
        int hidden = dev.raftj.model.ModelConfig.load(dev.raftj.tasks.Tasks.get("arith").policy()).hidden;
        List<String> sizes = Files.readAllLines(dir.resolve("sizes.txt"));
        double maxDiff = 0;
        long compared = 0, over = 0;
        String where = "";
        for (int j = 0, from = 0; j < sizes.size(); from += Integer.parseInt(sizes.get(j)), j++) {
            int n = Integer.parseInt(sizes.get(j));
            for (int i = 0; i < n; i++) {
                if (n == 3 * hidden && i >= hidden && i < 2 * hidden) continue;
                double d = Math.abs(w1[from + i] - w20[from + i]);
                compared++;
                if (d > tolerance) over++;
                if (d > maxDiff) {
                    maxDiff = d;
                    where = "tensor " + j + " (" + n + " values) element " + i;
                }
            }
        }
        assertTrue(over <= compared / 10_000, "2 processes = 1 process on the same batch: " + over + " of " + compared
                + " weights differ by more than " + tolerance + " (max |Δw| " + maxDiff + " at " + where + ")");
        assertTrue(maxDiff <= outlier, "2 processes = 1 process on the same batch; max |Δw| " + maxDiff + " at " + where);
    }

    private static float[] weights(Path dir, int world, int rank) throws Exception {
        Path f = dir.resolve("weights-" + world + "-" + rank + ".bin");
        float[] out = new float[(int) (Files.size(f) / 4)];
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(f)))) {
            for (int i = 0; i < out.length; i++) out[i] = in.readFloat();
        }
        return out;
    }

    /** Writes every weight as float32 to OUT/weights-W-R.bin and the tensors' sizes to OUT/sizes.txt (in a child). */
    static void writeWeights(Path out, List<org.bytedeco.pytorch.Tensor> weights, int world, int rank) throws Exception {
        try (java.io.DataOutputStream o = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
                Files.newOutputStream(out.resolve("weights-" + world + "-" + rank + ".bin"))))) {
            for (var w : weights) for (float v : dev.raftj.torch.Torch.toFloats(w)) o.writeFloat(v);
        }
        StringBuilder sizes = new StringBuilder();
        for (var w : weights) sizes.append(w.numel()).append('\n');
        Files.writeString(out.resolve("sizes.txt"), sizes.toString());
    }

    /**
     * The first {@code prompts} training prompts' samples, drawn with one fixed seed (99), so every
     * process, whatever its world size, holds the same global batch.
     */
    static SampleBatch globalBatch(AlignmentSetup setup, int prompts) {
        RunConfig c = setup.config();
        return SampleBatch.draw(setup, new Generator(setup.policy(), c.sampling().batchSize()),
                new RewardGuard(setup.reward(), c.onRewardError()), setup.train().subList(0, prompts), 99L, false, new Timer());
    }

    /** The rows of this rank's prompts (prompt-major: K rows per prompt). */
    static SampleBatch shard(SampleBatch all, World world) {
        int k = all.promptIds().size() / all.promptCount();
        int[] r = Shards.range(all.promptCount(), world.rank(), world.size());
        int from = r[0] * k, to = r[1] * k;
        Responses x = all.responses();
        Responses rs = new Responses(x.texts().subList(from, to), x.tokens().subList(from, to),
                Arrays.copyOfRange(x.logprobSums(), from, to), Arrays.copyOfRange(x.cut(), from, to));
        Scored s = all.scored();
        return new SampleBatch(new ArrayList<>(all.promptTexts().subList(from, to)), new ArrayList<>(all.promptIds().subList(from, to)),
                rs, new Scored(Arrays.copyOfRange(s.rewards(), from, to), Arrays.copyOfRange(s.valid(), from, to), 0, 0),
                null, null, r[1] - r[0]);
    }

    /**
     * One stage of a 5-prompt × 4-sample batch on ranks holding 3 and 2 prompts: both ranks report
     * the same figures, and those equal the lone process's ({@code what} names the other figures).
     */
    static void assertShardsAgreeWithOneProcess(String alone, String rank0, String rank1, int stage, String what) {
        String[] a = figures(alone, stage), r0 = figures(rank0, stage), r1 = figures(rank1, stage);
        assertEquals("20", a[0]);
        assertEquals("12", r0[0], "rank 0 holds 3 prompts' rows");
        assertEquals("8", r1[0], "rank 1 holds 2 prompts' rows");
        assertEquals(r0[1] + r0[2], r1[1] + r1[2], "both ranks report the same figures");
        assertClose(numbers(a[1]), numbers(r0[1]), "stage " + stage + " step losses");
        assertClose(numbers(a[2]), numbers(r0[2]), "stage " + stage + " " + what);
    }
}

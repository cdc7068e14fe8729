package dev.raftj.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.align.TokenBatch;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on 127.0.0.1 (child JVMs, c10d over Gloo): SFT steps on the halves of a batch
 * equal one process's steps on the whole batch, and a killed rank makes the other fail with the
 * clear error within the timeout.
 */
class DataParallelTest {
    private static final int TIMEOUT = 30;

    @Test
    void twoProcessSftStepsOnHalvesEqualOneProcessOnTheWholeBatchAndAKilledRankStopsTheOther(@TempDir Path tmp)
            throws Exception {
        List<ChildJvms.Child> ranks = ChildJvms.start(SftStepChild.class, 2, ChildJvms.freePort(), TIMEOUT, tmp.toString());
        try {
            // The reference, while the children start: the same two steps on the whole batch in one process.
            CausalLM alone = SftStepChild.model();
            SftStep step = SftStepChild.trainer(alone);
            List<List<int[]>> b = SftStepChild.batch();
            TokenBatch all = TokenBatch.of(b.get(0), b.get(1), 0, alone.device());
            List<Double> losses = new ArrayList<>();
            for (int i = 0; i < 2; i++) losses.add(step.step(all.ids(), all.mask(), all.labels(), 0).loss());

            ChildJvms.Child rank0 = ranks.get(0), rank1 = ranks.get(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!rank1.printed("WAITING") && rank1.process().isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(rank1.printed("WAITING"), "rank 1 did its steps:\n" + rank1.output() + "\nrank 0:\n" + rank0.output());
            long killed = System.nanoTime();
            rank1.process().destroyForcibly();
            assertTrue(rank0.process().waitFor(TIMEOUT + 5, TimeUnit.SECONDS), "rank 0 must not hang:\n" + rank0.output());
            double seconds = (System.nanoTime() - killed) / 1e9;
            String out0 = rank0.output().toString();
            assertEquals(1, rank0.process().exitValue(), out0);
            assertTrue(out0.contains("raftj: error: rank 0 of 2: all-reduce failed: another rank stopped"), out0);
            assertTrue(out0.contains("--resume"), "the error says how to go on: " + out0);
            assertTrue(seconds < TIMEOUT, "the error came within the timeout: " + seconds + " s");

            List<Double> reported = out0.lines().filter(l -> l.startsWith("loss "))
                    .map(l -> Double.parseDouble(l.substring(5).trim())).toList();
            assertEquals(2, reported.size(), "rank 0 reports two losses:\n" + out0);
            for (int i = 0; i < 2; i++) {
                // the same float32 loss up to summation order (a prefix compare broke on 9.306249… vs 9.306250…)
                assertEquals(losses.get(i), reported.get(i), 1e-5 * Math.abs(losses.get(i)),
                        "rank 0 reports the whole batch's loss:\n" + out0);
            }
            Map<String, Tensor> w0 = CausalLM.load(tmp.resolve("rank0")).weights();
            Map<String, Tensor> w1 = CausalLM.load(tmp.resolve("rank1")).weights();
            double maxDiff = 0;
            for (var e : alone.weights().entrySet()) {
                float[] a = Torch.toFloats(e.getValue()), r0 = Torch.toFloats(w0.get(e.getKey()));
                assertArrayEquals(r0, Torch.toFloats(w1.get(e.getKey())), "replicas identical: " + e.getKey());
                for (int j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j] - r0[j]));
            }
            // two AdamW steps of lr 1e-3 move weights by up to ~2e-3; float32 summation order differs
            assertTrue(maxDiff < 2e-6, "2 processes on halves = 1 process on the whole batch; max |Δw| " + maxDiff);
        } finally {
            ChildJvms.killAll(ranks);
        }
    }

    /** A rank that hangs (alive, silent) makes the other fail once the timeout has passed, not before. */
    @Test
    @Tag("slow")
    void aHungRankStopsTheOtherAfterTheTimeout(@TempDir Path tmp) throws Exception {
        int timeout = 8;
        List<ChildJvms.Child> ranks = ChildJvms.start(SftStepChild.class, 2, ChildJvms.freePort(), timeout, tmp.toString());
        try {
            ChildJvms.Child rank0 = ranks.get(0), rank1 = ranks.get(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!rank1.printed("WAITING") && rank1.process().isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(rank1.printed("WAITING"), rank1.output() + "\nrank 0:\n" + rank0.output());
            long hung = System.nanoTime();
            assertTrue(rank0.process().waitFor(timeout + 20, TimeUnit.SECONDS), "rank 0 must not hang:\n" + rank0.output());
            double seconds = (System.nanoTime() - hung) / 1e9;
            String out0 = rank0.output().toString();
            assertEquals(1, rank0.process().exitValue(), out0);
            assertTrue(out0.contains("did not answer within " + timeout + " s (RAFTJ_DIST_TIMEOUT)"), out0);
            assertTrue(seconds > timeout - 2, "rank 0 waited for the timeout: " + seconds + " s");
            assertTrue(rank1.process().isAlive(), "rank 1 hung, it did not die");
        } finally {
            ChildJvms.killAll(ranks);
        }
    }
}

package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.cli.Main;
import dev.raftj.dist.ChildJvms;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftj launch --nproc-per-node 2 align} with GRPO and the adversarial reward (warm-up,
 * replay, independent measure) on 5 prompts a stage: the ranks hold 3 and 2 prompts, and with
 * minibatches of 2 rows many steps find one rank without rows (it joins idle). Policy and
 * discriminator stay identical on both ranks after every stage (the run checks it and stops if
 * not), rank 0 logs the whole batch's figures, and the run resumes with 2 processes.
 */
class GrpoDataParallelTest {

    @Test
    void unequalShardsKeepIdenticalReplicasAndTheRunResumes(@TempDir Path tmp) throws Exception {
        Path cfg = AdversarialRunTest.config(tmp, 1, "adversarial", ", measure: task:arith, warmup_steps: 2, replay: 1");
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: grpo\ngrpo: {stages: 2, batch_prompts: 5, lr: 0.0003,"
                + " iterations: 2, minibatches: 10}\n");
        Path run = tmp.resolve("run");
        String err = launch("align", "--config", cfg.toString(), "--out", run.toString());
        for (int stage = 1; stage <= 2; stage++) assertEquals(fingerprint(err, 0, stage), fingerprint(err, 1, stage), "stage " + stage);
        assertTrue(!fingerprint(err, 0, 1).equals(fingerprint(err, 0, 2)), "the weights trained");
        List<StageMetrics> lines = MetricsLog.read(run.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        for (int i = 1; i <= 2; i++) {
            StageMetrics s = lines.get(i);
            assertEquals(20, (int) Math.round(s.samplesPerSecond() * s.seconds()), "the global batch: 5 × 4");
            assertTrue(s.discAccuracy() != null && s.measureMean() != null && s.time().containsKey("communication"), s.toString());
        }
        assertTrue(Files.exists(RunState.checkpointDir(run).resolve(Adversarial.REPLAY)), "rank 0 wrote the replayed samples");

        String resumed = launch("align", "--resume", run.toString(), "--stages", "3");
        assertEquals(fingerprint(resumed, 0, 3), fingerprint(resumed, 1, 3), "stage 3, after the resume");
        assertEquals(4, MetricsLog.read(run.resolve("metrics.jsonl")).size());
    }

    /** Standard error of {@code raftj launch --nproc-per-node 2 ARGS}, which must succeed. */
    private static String launch(String... args) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        String[] all = new String[args.length + 7];
        System.arraycopy(new String[] {"launch", "--nproc-per-node", "2", "--master-port", String.valueOf(ChildJvms.freePort()),
                "--timeout", "60"}, 0, all, 0, 7);
        System.arraycopy(args, 0, all, 7, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        assertEquals(0, code, out + "\n" + err);
        return err.toString();
    }

    private static String fingerprint(String log, int rank, int stage) {
        Matcher m = Pattern.compile("\\[rank " + rank + "] raftj: rank " + rank + " of 2: weights after stage " + stage
                + ": fingerprint (\\S+)").matcher(log);
        assertTrue(m.find(), "rank " + rank + " stage " + stage + " in:\n" + log);
        return m.group(1);
    }
}

package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftj launch --nproc-per-node 2 align} on a slice of arith, on 127.0.0.1: the replicas'
 * weights are identical after every stage, the run lands in the same accuracy band as one process
 * with the same global batch, rank 0 alone writes the run, and a resume with another process count
 * is refused.
 */
class RaftDataParallelTest {

    /** 256 training prompts, 64 held out; 6 stages of 32 prompts × 8 samples: one process goes 0.48 → 0.59. */
    static Path config(Path tmp) throws Exception {
        return RaftRunTest.arithConfig(tmp, 256, 64, "{k: 8, temperature: 1.0, max_new_tokens: 6}",
                "{epochs: 2, lr: 0.0005, batch_size: 16}", "{stages: 6, batch_prompts: 32, ranking: {mode: local, m: 1}}");
    }

    @Test
    void twoProcessesKeepIdenticalWeightsAndLandWithOneProcess(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp), two = tmp.resolve("two"), one = tmp.resolve("one");
        StringWriter out = new StringWriter(), err = new StringWriter();
        launchTwo(cfg, two, out, err);
        assertTrue(out.toString().contains("[rank 0] raft: 6 stages") && out.toString().contains("(2 processes, data-parallel)"),
                "rank 0 prints the run, prefixed: " + out);
        assertTrue(!out.toString().contains("[rank 1] [#"), "only rank 0 prints progress: " + out);

        // every stage, both ranks report the same weights fingerprint (and the run checks it itself)
        for (int stage = 1; stage <= 6; stage++) {
            String f0 = fingerprint(err.toString(), 0, stage), f1 = fingerprint(err.toString(), 1, stage);
            assertEquals(f0, f1, "stage " + stage);
        }
        assertTrue(!fingerprint(err.toString(), 0, 1).equals(fingerprint(err.toString(), 0, 6)), "the weights trained");

        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", one.toString()));
        List<StageMetrics> a = MetricsLog.read(one.resolve("metrics.jsonl")), b = MetricsLog.read(two.resolve("metrics.jsonl"));
        assertEquals(7, b.size());
        assertEquals(a.get(0).evalReward(), b.get(0).evalReward(), "the same base policy, evaluated over both shards");
        assertEquals(a.get(0).evalPerplexity(), b.get(0).evalPerplexity(), 1e-6, "float32 sums over other batches");
        for (int i = 1; i <= 6; i++) {
            assertEquals(256, (int) Math.round(b.get(i).samplesPerSecond() * b.get(i).seconds()), "the global batch: 32 × 8");
            assertEquals(32, b.get(i).kept(), "local top-1 over the whole batch");
            assertTrue(b.get(i).time().containsKey("communication"), "the stage reports its communication time");
        }
        double base = b.get(0).evalReward(), oneFinal = a.get(6).evalReward(), twoFinal = b.get(6).evalReward();
        assertTrue(oneFinal > base + 0.05 && twoFinal > base + 0.05, "both learn: " + base + " -> " + oneFinal + ", " + twoFinal);
        assertEquals(oneFinal, twoFinal, 0.1, "the same band");

        assertTrue(Files.readString(two.resolve("checkpoint/trainer.json")).contains("\"world_size\" : 2"));
        String resumeErr = RaftRunTest.raftjError(1, "align", "--resume", two.toString(), "--stages", "7");
        assertTrue(resumeErr.contains("checkpointed with 2 process(es)") && resumeErr.contains("resumed with 1"), resumeErr);
    }

    /** With LoRA only the adapter trains: the fingerprint covers it, so it changes stage by stage and agrees across ranks. */
    @Test
    void twoProcessesWithLoraKeepIdenticalAdapters(@TempDir Path tmp) throws Exception {
        Path cfg = RaftRunTest.arithConfig(tmp, 64, 16, "{k: 4, temperature: 1.0, max_new_tokens: 6}",
                "{epochs: 1, lr: 0.005, batch_size: 16, lora: {r: 4, alpha: 8}}",
                "{stages: 2, batch_prompts: 16, ranking: {mode: local, m: 1}}");
        Path two = tmp.resolve("two");
        StringWriter out = new StringWriter(), err = new StringWriter();
        launchTwo(cfg, two, out, err);
        for (int stage = 1; stage <= 2; stage++) {
            assertEquals(fingerprint(err.toString(), 0, stage), fingerprint(err.toString(), 1, stage), "stage " + stage);
        }
        assertTrue(!fingerprint(err.toString(), 0, 1).equals(fingerprint(err.toString(), 0, 2)),
                "the adapter trained and the fingerprint sees it (the base weights are frozen)");
        assertTrue(Files.exists(two.resolve("checkpoint/adapter_model.safetensors")), "rank 0 wrote the adapter");
    }

    /** {@code raftj launch --nproc-per-node 2 align --config CFG --out DIR} on a free port; it must succeed. */
    private static void launchTwo(Path cfg, Path dir, StringWriter out, StringWriter err) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "launch", "--nproc-per-node", "2",
                "--master-port", String.valueOf(port), "--timeout", "60", "align", "--config", cfg.toString(),
                "--out", dir.toString());
        assertEquals(0, code, out + "\n" + err);
    }

    private static String fingerprint(String log, int rank, int stage) {
        Matcher m = Pattern.compile("\\[rank " + rank + "] raftj: rank " + rank + " of 2: weights after stage " + stage
                + ": fingerprint (\\S+)").matcher(log);
        assertTrue(m.find(), "rank " + rank + " stage " + stage + " in:\n" + log);
        return m.group(1);
    }
}

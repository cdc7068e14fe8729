package dev.raftj.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison of benchmarks/compare.sh: mean ± sd across seeds, stage by stage, samples and time accumulated. */
class ComparisonTest {

    /** A run folder with stage 0 and two stages of 100 samples each (samples_per_second × seconds). */
    static Path run(Path dir, String algorithm, long seed, double r0, double r1, double r2) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("metrics.jsonl"), String.join("\n",
                "{\"stage\":0,\"eval_reward\":" + r0 + ",\"kl\":0.0,\"seconds\":1.0,\"time\":{},\"peak_rss_mib\":300}",
                "{\"stage\":1,\"eval_reward\":" + r1 + ",\"kl\":0.5,\"seconds\":2.0,\"time\":{},\"samples_per_second\":50.0,\"peak_rss_mib\":310}",
                "{\"stage\":2,\"eval_reward\":" + r2 + ",\"kl\":1.0,\"seconds\":4.0,\"time\":{},\"samples_per_second\":25.0,\"peak_rss_mib\":320}",
                ""));
        Files.writeString(dir.resolve("config.json"), "{\"algorithm\":\"" + algorithm + "\",\"seed\":" + seed
                + ",\"reward\":\"task:arith\"}");
        Files.writeString(dir.resolve("summary.json"), "{\"seconds\":7.0,\"peak_rss_mib\":320}");
        return dir;
    }

    @Test
    void meanAndSdAcrossSeedsPerStageWithSamplesAndSecondsAccumulated(@TempDir Path tmp) throws Exception {
        Path a1 = run(tmp.resolve("a1"), "raft", 1, 0.4, 0.6, 0.8), a2 = run(tmp.resolve("a2"), "raft", 2, 0.4, 0.8, 1.0);
        Path b1 = run(tmp.resolve("b1"), "ppo", 1, 0.4, 0.5, 0.6);
        Path json = tmp.resolve("c.json"), png = tmp.resolve("c.png");
        Comparison.write(json, png, "arith", Map.of("raft", List.of(a1, a2), "ppo", List.of(b1)));
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        JsonNode raft = root.path("algorithms").path("raft");
        assertEquals(2, raft.path("runs").size());
        assertEquals(2, raft.path("models_resident").asInt(), "policy and π0");
        assertEquals(3, root.path("algorithms").path("ppo").path("models_resident").asInt(), "plus the critic");
        JsonNode last = raft.path("stages").get(2);
        assertEquals(200.0, last.path("samples").asDouble(), "100 + 100 samples");
        assertEquals(7.0, last.path("seconds").asDouble());
        assertEquals(0.9, last.path("eval_reward").path("mean").asDouble(), 1e-12);
        assertEquals(Math.sqrt(0.02), last.path("eval_reward").path("sd").asDouble(), 1e-12, "sample sd of 0.8 and 1.0");
        assertEquals(0.0, root.path("algorithms").path("ppo").path("stages").get(2).path("eval_reward").path("sd").asDouble());
        String md = Files.readString(tmp.resolve("c.md"));
        assertTrue(md.contains("| raft | 2 | 200 | 0.400 ± 0.000 → 0.900 ± 0.141 |"), md);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G');
        assertArrayEquals(new double[] {2.0, 1.0}, Comparison.meanSd(List.of(1.0, 2.0, 3.0)), 1e-12);
    }
}

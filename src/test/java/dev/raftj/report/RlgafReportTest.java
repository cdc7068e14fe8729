package dev.raftj.report;

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

/** benchmarks/rlgaf.sh's report: the discriminator's and the independent measures, mean ± sd across seeds. */
class RlgafReportTest {

    /** Stage 0 (eval_measure only) and two adversarial stages. */
    static Path run(Path dir, long seed, double acc1, double acc2, double m0, double m2) throws Exception {
        Files.createDirectories(dir);
        String common = ",\"seconds\":1.0,\"time\":{},\"samples_per_second\":100.0,\"peak_rss_mib\":300";
        Files.writeString(dir.resolve("metrics.jsonl"), String.join("\n",
                "{\"stage\":0,\"kl\":0.0,\"eval_measure\":" + m0 + common + "}",
                "{\"stage\":1,\"kl\":1.0,\"eval_measure\":1.0,\"disc_accuracy\":" + acc1
                        + ",\"measure_mean\":0.2,\"ref_overlap\":0.5,\"disc_reward_mean\":-1.0" + common + "}",
                "{\"stage\":2,\"kl\":2.0,\"eval_measure\":" + m2 + ",\"disc_accuracy\":" + acc2
                        + ",\"measure_mean\":2.0,\"ref_overlap\":0.6,\"disc_reward_mean\":-0.5" + common + "}", ""));
        Files.writeString(dir.resolve("config.json"), "{\"algorithm\":\"raft\",\"seed\":" + seed + ",\"reward\":\"adversarial\"}");
        Files.writeString(dir.resolve("summary.json"), "{\"seconds\":3.0,\"peak_rss_mib\":300}");
        return dir;
    }

    @Test
    void firstPeakAndLastStageOfEachMeasureAcrossSeeds(@TempDir Path tmp) throws Exception {
        Path a = run(tmp.resolve("a"), 1, 0.7, 0.5, 0.2, 3.0), b = run(tmp.resolve("b"), 2, 0.9, 0.6, 0.4, 2.0);
        Path json = tmp.resolve("rlgaf-x.json"), png = tmp.resolve("rlgaf-x.png");
        RlgafReport.write(json, png, "x", Map.of("raft", List.of(a, b)));
        JsonNode stages = new ObjectMapper().readTree(json.toFile()).path("algorithms").path("raft").path("stages");
        assertEquals(0.8, stages.get(1).path("disc_accuracy").path("mean").asDouble(), 1e-12);
        assertTrue(stages.get(0).path("disc_accuracy").isMissingNode(), "stage 0 has no discriminator");
        String md = Files.readString(tmp.resolve("rlgaf-x.md"));
        assertTrue(md.contains("| raft | 2 | 0.800 ± 0.141 → 0.800 → 0.550 ± 0.071 | 0.300 ± 0.141 → 2.500 ± 0.707 "
                + "| 0.200 ± 0.000 → 2.000 ± 0.000 | 0.500 ± 0.000 → 0.600 ± 0.000 | 2.000 ± 0.000 |"), md);
        assertTrue(md.contains("| raft | 0 | - | 0.300 ± 0.141 | - | - | 0.000 ± 0.000 |"), md);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G');
    }
}

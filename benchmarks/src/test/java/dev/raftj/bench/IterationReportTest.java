package dev.raftj.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IterationReportTest {
    private static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void groupsTheLoopsPhasesIntoTheIssuesFour() {
        Map<String, Double> g = IterationReport.grouped(Map.of("generate", 1.0, "reward", 0.5, "select", 0.25,
                "logprobs", 2.0, "reference", 1.0, "values", 0.5, "advantages", 0.125, "train", 4.0, "eval", 9.0));
        assertEquals(Map.of("generation", 1.0, "reward", 0.5, "selection_advantages", 3.875, "training", 4.0), g);
        assertEquals(0.0, IterationReport.grouped(Map.of("train", 1.0)).get("generation"));
    }

    @Test
    void optimizerStepsPerAlgorithm() throws Exception {
        JsonNode raft = json("{\"algorithm\":\"raft\",\"sft\":{\"batch_size\":8,\"epochs\":2}}");
        assertEquals(4, IterationReport.optimizerSteps(raft, 16));  // 16 rows = 2 batches, 2 epochs
        assertEquals(12, IterationReport.optimizerSteps(raft, 46)); // 46 rows = 6 batches (last 6 rows), 2 epochs
        assertEquals(8, IterationReport.optimizerSteps(json("{\"algorithm\":\"grpo\",\"grpo\":{\"iterations\":1,\"minibatches\":8}}"), 60));
        assertEquals(32, IterationReport.optimizerSteps(json("{\"algorithm\":\"ppo\",\"ppo\":{\"epochs\":4,\"minibatches\":8}}"), 64));
    }

    @Test
    void modelsLoaded() throws Exception {
        assertEquals(List.of("policy"), IterationReport.modelsLoaded(json("{\"algorithm\":\"raft\",\"reward\":{\"regex\":{}}}")));
        assertEquals(List.of("policy", "pi0"), IterationReport.modelsLoaded(
                json("{\"algorithm\":\"raft\",\"raft\":{\"ranking\":{\"kl_beta\":0.5}}}")));
        assertEquals(List.of("policy", "pi0"), IterationReport.modelsLoaded(json("{\"algorithm\":\"raft\",\"eval_fraction\":0.1}")));
        assertEquals(List.of("policy", "pi0"), IterationReport.modelsLoaded(json("{\"algorithm\":\"rest-em\"}")));
        assertEquals(List.of("policy"), IterationReport.modelsLoaded(json("{\"algorithm\":\"grpo\",\"grpo\":{\"beta\":0.0}}")));
        assertEquals(List.of("policy", "pi0", "critic", "reward model"),
                IterationReport.modelsLoaded(json("{\"algorithm\":\"ppo\",\"reward\":\"model:rm\"}")));
    }

    @Test
    void readsGnuTimeOutput() {
        Map<String, String> t = IterationReport.gnuTime(List.of(
                "\tCommand being timed: \"./raftj align --config a:b.yaml\"",
                "\tElapsed (wall clock) time (h:mm:ss or m:ss): 7:34.50",
                "\tMaximum resident set size (kbytes): 3729300"));
        assertEquals("3729300", t.get("Maximum resident set size (kbytes)"));
        assertEquals(454.5, IterationReport.wallSeconds(t.get("Elapsed (wall clock) time (h:mm:ss or m:ss)")), 1e-9);
        assertEquals(3723.0, IterationReport.wallSeconds("1:02:03"), 1e-9);
        assertEquals(27.02, IterationReport.wallSeconds("0:27.02"), 1e-9);
    }

    @Test
    void largestSampleAndColumn() {
        List<String> rss = List.of("0.2 100 50 50", "0.4 300 100 200", "bad line", "0.6 250 240 10");
        assertArrayEquals(new double[] {0.4, 300, 100, 200}, IterationReport.peakSample(rss));
        assertEquals(240.0, IterationReport.maxColumn(rss, 2));
        assertEquals(200.0, IterationReport.maxColumn(rss, 3));
    }
}

package dev.raftj.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IterationPhasesTest {
    @Test
    void median() {
        assertEquals(2.0, IterationPhases.median(new double[] {3, 1, 2}));
        assertEquals(2.5, IterationPhases.median(new double[] {4, 1, 3, 2}));
        assertEquals(Double.NaN, IterationPhases.median(new double[0]));
    }

    @Test
    void mediansPerPhaseWithTheRestAsOther() throws Exception {
        var calls = new ObjectMapper().readTree("""
                [{"generate": 1.0, "reward": 0.1, "select": 0.2, "train": 2.0, "seconds": 3.5},
                 {"generate": 3.0, "reward": 0.3, "select": 0.2, "train": 4.0, "seconds": 7.5},
                 {"generate": 2.0, "reward": 0.2, "select": 0.2, "train": 3.0, "seconds": 6.0}]""");
        Map<String, Double> m = IterationPhases.medians(calls);
        assertEquals(2.0, m.get("generation"), 1e-12);
        assertEquals(0.2, m.get("reward"), 1e-12);
        assertEquals(0.2, m.get("selection_advantages"), 1e-12);
        assertEquals(3.0, m.get("training"), 1e-12);
        assertEquals(0.2, m.get("other"), 1e-12); // per call 3.5 − 3.3, 7.5 − 7.5, 6.0 − 5.4: median of 0.2, 0.0, 0.6
        assertEquals(6.0, m.get("stage"), 1e-12);
    }
}

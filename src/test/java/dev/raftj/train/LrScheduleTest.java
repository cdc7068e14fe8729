package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Schedules by hand: base 1.0, 10 steps, 2 of warm-up. */
class LrScheduleTest {
    @Test
    void warmUpThenDecay() {
        assertEquals(0.5, LrSchedule.LINEAR.at(1.0, 0, 10, 2), 1e-12);   // (0 + 1) / 2
        assertEquals(1.0, LrSchedule.LINEAR.at(1.0, 2, 10, 2), 1e-12);   // progress 0
        assertEquals(0.5, LrSchedule.LINEAR.at(1.0, 6, 10, 2), 1e-12);   // progress 4/8
        assertEquals(0.5, LrSchedule.COSINE.at(1.0, 6, 10, 2), 1e-12);   // ½(1 + cos(π/2))
        assertEquals(0.0, LrSchedule.COSINE.at(1.0, 10, 10, 2), 1e-12);
        assertEquals(1.0, LrSchedule.CONSTANT.at(1.0, 9, 10, 0), 1e-12);
    }
}

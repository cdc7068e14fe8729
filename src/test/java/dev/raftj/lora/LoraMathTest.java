package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PEFT's numbers, worked by hand. */
class LoraMathTest {

    @Test
    void scalingIsAlphaOverROrOverRootR() {
        assertEquals(2.0, LoraMath.scaling(8, 4, false), 0);   // 8 / 4
        assertEquals(4.0, LoraMath.scaling(16, 4, false), 0);  // 16 / 4
        assertEquals(8.0, LoraMath.scaling(16, 4, true), 0);   // 16 / √4
        assertEquals(3.0, LoraMath.scaling(12, 16, true), 0);  // 12 / √16
        assertEquals(1.0, LoraMath.scaling(8, 8, false), 0);   // the defaults r = α = 8
    }

    @Test
    void kaimingUniformWithASqrt5IsOneOverRootFanIn() {
        // gain = √(2 / (1 + 5)) = 1/√3; bound = gain · √(3 / fan_in) = 1/√fan_in
        assertEquals(0.125, LoraMath.kaimingUniformBound(64), 1e-15);
        assertEquals(1.0 / Math.sqrt(768), LoraMath.kaimingUniformBound(768), 1e-15);
        assertEquals(0.5, LoraMath.kaimingUniformBound(4), 1e-15);
    }

    @Test
    void gaussianInitHasStdOneOverR() {
        assertEquals(0.25, LoraMath.gaussianStd(4), 0);
        assertEquals(0.125, LoraMath.gaussianStd(8), 0);
    }

    @Test
    void aTargetMatchesTheWholePathOrItsLastParts() {
        assertTrue(LoraMath.matches("model.layers.0.self_attn.q_proj", "q_proj"));
        assertTrue(LoraMath.matches("model.layers.0.self_attn.q_proj", "self_attn.q_proj"));
        assertTrue(LoraMath.matches("transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_attn"));
        assertFalse(LoraMath.matches("model.layers.0.self_attn.q_proj", "proj"), "a suffix must start at a dot");
        assertFalse(LoraMath.matches("transformer.h.0.attn.c_proj", "attn"), "names a parent, not the projection");
        assertTrue(LoraMath.matches("transformer.h.0.mlp.c_proj", "c_proj"));
    }
}

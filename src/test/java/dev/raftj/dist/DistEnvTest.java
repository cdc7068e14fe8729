package dev.raftj.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.UserError;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DistEnvTest {
    private static Map<String, String> torchrun(int rank) {
        Map<String, String> env = new HashMap<>(Map.of("RANK", String.valueOf(rank), "WORLD_SIZE", "4",
                "LOCAL_RANK", String.valueOf(rank % 2), "MASTER_ADDR", " node0 ", "MASTER_PORT", "29500"));
        return env;
    }

    @Test
    void readsTorchrunsVariables() {
        DistEnv e = DistEnv.of(torchrun(3));
        assertEquals(new DistEnv(3, 4, 1, "node0", 29500, DistEnv.DEFAULT_TIMEOUT_SECONDS), e);
        assertTrue(e.distributed());
        Map<String, String> env = torchrun(0);
        env.put(DistEnv.TIMEOUT_VAR, "20");
        assertEquals(20, DistEnv.of(env).timeoutSeconds());
    }

    @Test
    void withoutWorldSizeOrWithOneProcessTheRunIsAlone() {
        assertFalse(DistEnv.of(Map.of()).distributed());
        assertFalse(DistEnv.of(Map.of("WORLD_SIZE", "1", "RANK", "0")).distributed());
    }

    @Test
    void badValuesNameTheVariable() {
        Map<String, String> env = torchrun(4);
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(env)).getMessage().startsWith("RANK=4: must be below WORLD_SIZE=4"));
        env.put("RANK", "x");
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(env)).getMessage().startsWith("RANK=x: not a non-negative"));
        env.put("RANK", "1");
        env.remove("MASTER_ADDR");
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(env)).getMessage().startsWith("MASTER_ADDR: not set"));
        env.put("MASTER_ADDR", "h");
        env.put("MASTER_PORT", "70000");
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(env)).getMessage().startsWith("MASTER_PORT=70000"));
        env.put("MASTER_PORT", "1");
        env.put(DistEnv.TIMEOUT_VAR, "0");
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(env)).getMessage().startsWith("RAFTJ_DIST_TIMEOUT=0: must be at least 1"));
        assertTrue(assertThrows(UserError.class, () -> DistEnv.of(Map.of("RANK", "0"))).getMessage().contains("WORLD_SIZE is not"));
    }

    @Test
    void theLauncherGivesEachProcessTorchrunsVariables() {
        var plan = new Launcher.Plan(2, 3, 1, "10.0.0.1", 29400, 30);
        Map<String, String> env = plan.env(1);
        assertEquals("3", env.get("RANK"), "node 1, local rank 1 of 2 per node");
        assertEquals("6", env.get("WORLD_SIZE"));
        assertEquals("1", env.get("LOCAL_RANK"));
        assertEquals("2", env.get("LOCAL_WORLD_SIZE"));
        assertEquals("30", env.get(DistEnv.TIMEOUT_VAR));
        assertEquals(new DistEnv(3, 6, 1, "10.0.0.1", 29400, 30), DistEnv.of(env), "what the launcher sets reads back");
    }
}

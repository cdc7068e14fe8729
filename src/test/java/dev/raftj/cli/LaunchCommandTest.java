package dev.raftj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code raftj launch}'s checks, before any process starts (the runs themselves: RaftDataParallelTest). */
class LaunchCommandTest {
    private static String error(int code, String... args) {
        StringWriter err = new StringWriter();
        assertEquals(code, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args), err.toString());
        return err.toString();
    }

    @Test
    void refusesBadSizesAndCommandsOtherThanAlign() {
        assertTrue(error(1, "launch", "--nproc-per-node", "0", "align").contains("--nproc-per-node: must be >= 1"));
        assertTrue(error(1, "launch", "--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "2", "align")
                .contains("--node-rank: must be in 0..1, got 2"));
        assertTrue(error(1, "launch", "--nproc-per-node", "2", "--master-port", "0", "align").contains("--master-port"));
        assertTrue(error(1, "launch", "--nproc-per-node", "2", "generate", "--model", "x").contains("runs 'raftj align ...'"));
        assertTrue(error(2, "launch", "--nproc-per-node", "2").contains("COMMAND"), "the command is required");
    }
}

package dev.raftj.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * raftj turns off JavaCPP's per-allocation resident-memory poll unless the user set it. JavaCPP
 * reads the setting once per process, so each case runs in a fresh JVM.
 */
class JavaCppMemoryPollTest {

    /** The child: raftj's init, one tensor, then JavaCPP's setting as it took it. */
    public static final class Child {
        public static void main(String[] args) {
            Torch.ensureInit();
            torch.ones(2).close();
            System.out.println("maxPhysicalBytes=" + Pointer.maxPhysicalBytes());
        }
    }

    @Test
    void offByDefault() throws Exception {
        assertEquals("maxPhysicalBytes=0", run());
    }

    @Test
    void theUsersSettingWins() throws Exception {
        assertEquals("maxPhysicalBytes=123456789", run("-D" + Torch.MAX_PHYSICAL_BYTES + "=123456789"));
    }

    private static String run(String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("maxPhysicalBytes=")).findFirst().orElse(out);
    }
}

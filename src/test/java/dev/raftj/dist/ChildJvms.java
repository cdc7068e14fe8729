package dev.raftj.dist;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Child JVMs for multi-process tests on 127.0.0.1: this JVM's java and classpath, torchrun's variables. */
public final class ChildJvms {
    private ChildJvms() {}

    /** A child process and everything it printed so far (stdout and stderr merged). */
    public record Child(Process process, StringBuffer output) {
        public boolean printed(String text) {
            return output.toString().contains(text);
        }
    }

    /** A TCP port free on 127.0.0.1 right now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** {@code world} processes running {@code main} with RANK 0..world-1 at 127.0.0.1:port. */
    public static List<Child> start(Class<?> main, int world, int port, int timeoutSeconds, String... args) throws IOException {
        List<Child> out = new ArrayList<>();
        for (int rank = 0; rank < world; rank++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), main.getName()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(new Launcher.Plan(world, 1, 0, "127.0.0.1", port, timeoutSeconds).env(rank));
            Process p = pb.start();
            StringBuffer text = new StringBuffer();
            Thread t = new Thread(() -> copy(p.getInputStream(), text));
            t.setDaemon(true);
            t.start();
            out.add(new Child(p, text));
        }
        return out;
    }

    private static void copy(InputStream in, StringBuffer to) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) to.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the process is gone
        }
    }

    /** Nothing to wait for in a test that failed early. */
    public static void killAll(List<Child> children) {
        for (Child c : children) c.process().destroyForcibly();
    }

}

package dev.raftj.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * torchrun's job for raftj: starts this node's processes of a data-parallel run as child JVMs with
 * RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (and the collective
 * timeout) set, forwards their output line by line with a "[rank N]" prefix, and stops the others
 * as soon as one fails, returning its exit code.
 */
public final class Launcher {
    /** How many processes, where this node stands, and rank 0's address. */
    public record Plan(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort, int timeoutSeconds) {
        public int worldSize() {
            return nprocPerNode * nnodes;
        }

        /** The environment of the process with this local rank (pure, for tests). */
        public Map<String, String> env(int localRank) {
            return Map.of("RANK", String.valueOf(nodeRank * nprocPerNode + localRank),
                    "WORLD_SIZE", String.valueOf(worldSize()),
                    "LOCAL_RANK", String.valueOf(localRank),
                    "LOCAL_WORLD_SIZE", String.valueOf(nprocPerNode),
                    "MASTER_ADDR", masterAddr,
                    "MASTER_PORT", String.valueOf(masterPort),
                    DistEnv.TIMEOUT_VAR, String.valueOf(timeoutSeconds));
        }
    }

    private final Plan plan;
    private final PrintWriter out, err;

    public Launcher(Plan plan, PrintWriter out, PrintWriter err) {
        this.plan = plan;
        this.out = out;
        this.err = err;
    }

    /** Runs {@code raftj ARGS...} in every local process; the first non-zero exit code, or 0. */
    public int run(List<String> raftjArgs) throws IOException, InterruptedException {
        List<Process> children = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Thread stopper = new Thread(() -> children.forEach(Process::destroyForcibly));
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            for (int local = 0; local < plan.nprocPerNode(); local++) {
                ProcessBuilder pb = new ProcessBuilder(command(raftjArgs));
                pb.environment().putAll(plan.env(local));
                Process p = pb.start();
                children.add(p);
                String prefix = "[rank " + plan.env(local).get("RANK") + "] ";
                pumps.add(pump(p.getInputStream(), out, prefix));
                pumps.add(pump(p.getErrorStream(), err, prefix));
            }
            int code = waitForAll(children);
            for (Thread t : pumps) t.join(5000);
            return code;
        } finally {
            children.forEach(Process::destroyForcibly);
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    /** Waits for every child; when one fails, stops the rest (a grace period, then forcibly). */
    private int waitForAll(List<Process> children) throws InterruptedException {
        List<Process> running = new ArrayList<>(children);
        while (!running.isEmpty()) {
            for (Process p : List.copyOf(running)) {
                if (p.isAlive()) continue;
                running.remove(p);
                int code = p.exitValue();
                if (code != 0) {
                    int rank = plan.nodeRank() * plan.nprocPerNode() + children.indexOf(p);
                    synchronized (err) {
                        err.println("raftj launch: rank " + rank + " exited with code " + code + "; stopping the other "
                                + running.size() + " process(es) of this node");
                        err.flush();
                    }
                    for (Process q : running) q.destroy();
                    for (Process q : running) if (!q.waitFor(10, TimeUnit.SECONDS)) q.destroyForcibly();
                    return code;
                }
            }
            if (!running.isEmpty()) running.get(0).waitFor(200, TimeUnit.MILLISECONDS);
        }
        return 0;
    }

    /** This JVM again (same java, classpath and memory flags) running raftj's main class. */
    static List<String> command(List<String> raftjArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-Xrunjdwp")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.raftj.cli.Main");
        cmd.addAll(raftjArgs);
        return cmd;
    }

    private static Thread pump(InputStream in, PrintWriter to, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (to) {
                        to.println(prefix + line);
                        to.flush();
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "raftj-launch-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}

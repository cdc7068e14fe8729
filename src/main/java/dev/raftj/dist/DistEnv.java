package dev.raftj.dist;

import dev.raftj.core.UserError;
import java.util.Map;

/**
 * Where this process stands in a data-parallel run, read from torchrun's environment variables:
 * RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; and RAFTJ_DIST_TIMEOUT, the seconds a
 * collective waits for the other ranks before failing (default 600). Without WORLD_SIZE (or with
 * WORLD_SIZE=1) the process runs alone.
 */
public record DistEnv(int rank, int worldSize, int localRank, String masterAddr, int masterPort, int timeoutSeconds) {
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;
    public static final String TIMEOUT_VAR = "RAFTJ_DIST_TIMEOUT";

    /** A process on its own. */
    public static final DistEnv SINGLE = new DistEnv(0, 1, 0, "127.0.0.1", 0, DEFAULT_TIMEOUT_SECONDS);

    /** The variables in {@code env}; every problem names the variable and its value. */
    public static DistEnv of(Map<String, String> env) {
        String ws = env.get("WORLD_SIZE");
        int timeout = env.containsKey(TIMEOUT_VAR) ? positive(env, TIMEOUT_VAR) : DEFAULT_TIMEOUT_SECONDS;
        if (ws == null || ws.isBlank()) {
            if (env.containsKey("RANK")) throw new UserError("RANK is set but WORLD_SIZE is not: set both (torchrun conventions)");
            return SINGLE;
        }
        int world = positive(env, "WORLD_SIZE");
        if (world == 1) return new DistEnv(0, 1, 0, "127.0.0.1", 0, timeout);
        int rank = number(env, "RANK");
        if (rank >= world) throw new UserError("RANK=" + rank + ": must be below WORLD_SIZE=" + world);
        int local = env.containsKey("LOCAL_RANK") ? number(env, "LOCAL_RANK") : rank;
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) throw new UserError("MASTER_ADDR: not set (WORLD_SIZE=" + world + " needs rank 0's address)");
        int port = number(env, "MASTER_PORT");
        if (port < 1 || port > 65535) throw new UserError("MASTER_PORT=" + port + ": not a TCP port (1..65535)");
        return new DistEnv(rank, world, local, addr.strip(), port, timeout);
    }

    public boolean distributed() {
        return worldSize > 1;
    }

    private static int number(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) throw new UserError(name + ": not set (needed when WORLD_SIZE > 1)");
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new UserError(name + "=" + v + ": not a non-negative whole number");
        }
    }

    private static int positive(Map<String, String> env, String name) {
        int n = number(env, name);
        if (n < 1) throw new UserError(name + "=" + env.get(name) + ": must be at least 1");
        return n;
    }
}

package dev.raftj.cli;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.UserError;

/** The RAFT presets of the built-in tasks (filled in once the task registry exists). */
final class BuiltinTasks {
    private BuiltinTasks() {}

    static RaftConfig config(String task) {
        throw new UserError("unknown task '" + task + "'");
    }
}

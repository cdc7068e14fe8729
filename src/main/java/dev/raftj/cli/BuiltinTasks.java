package dev.raftj.cli;

import dev.raftj.config.RaftConfig;
import dev.raftj.config.RankingConfig;
import dev.raftj.config.RestConfig;
import dev.raftj.config.SamplingConfig;
import dev.raftj.config.SftConfig;
import dev.raftj.reward.OnError;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.util.List;

/**
 * The RAFT preset of each built-in task: sized so that a laptop CPU sees alignment happen in
 * minutes. A tiny model wants a far larger learning rate than the paper's 2e-5 for 7B models.
 */
final class BuiltinTasks {
    private BuiltinTasks() {}

    static RaftConfig config(String name) {
        Task task = Tasks.get(name);
        SamplingConfig sampling = new SamplingConfig(8, 1.0, 0, 1.0, 0.0, task.maxNewTokens(), 0, List.of());
        RankingConfig ranking = new RankingConfig(RankingConfig.Mode.LOCAL, 1, null, 0.0);
        SftConfig sft = new SftConfig(2, 5e-4, 16, 1.0, 0.0, SftConfig.LrSchedule.CONSTANT, 0, false);
        return new RaftConfig(RaftConfig.Algorithm.RAFT, task.policy().toString(), "task:" + name, task.trainFile().toString(),
                task.evalFile().toString(), 0.0, 64, 15, 0L, "runs/" + name, 0, sampling, ranking, sft,
                new RestConfig(3, null, 1.0), OnError.FAIL);
    }
}

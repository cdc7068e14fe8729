package dev.raftj.align;

import java.util.function.Consumer;

/** PPO (placeholder while it is written). */
public final class Ppo {
    public Ppo(AlignmentSetup setup, RunState state, Consumer<StageMetrics> onStage) {}

    public RunSummary run() {
        throw new dev.raftj.core.UserError("ppo: not implemented yet");
    }
}

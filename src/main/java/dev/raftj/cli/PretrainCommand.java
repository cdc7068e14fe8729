package dev.raftj.cli;

import dev.raftj.config.UserError;
import dev.raftj.model.Torch;
import dev.raftj.tasks.PretrainRecipe;
import dev.raftj.tasks.Pretrainer;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj pretrain}: rebuilds a built-in task's base policy from a seed. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Build a built-in task's base policy from scratch: random init, then supervised "
                + "training on a corpus generated from the seed.",
                "With one thread (the default) the same seed gives bit-identical weights on the same machine."})
public final class PretrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--task", required = true, description = "Built-in task (known: ${COMPLETION-CANDIDATES}).",
            completionCandidates = TaskNames.class)
    String task;

    @Option(names = "--out", description = "Output folder (default: src/main/resources/raftj/tasks/TASK/policy, "
            + "the shipped policy, when run from the repository root).")
    Path out;

    @Option(names = "--seed", description = "Seed of the initial weights and the corpus (default: the task's).")
    Long seed;

    @Option(names = "--steps", description = "Training steps (default: the task's).")
    Integer steps;

    @Option(names = "--eval-every", description = "Print held-out greedy accuracy every N steps (default: the task's).")
    Integer evalEvery;

    @Option(names = "--threads", defaultValue = "1",
            description = "LibTorch threads (default: ${DEFAULT-VALUE}; more threads are faster but not bit-reproducible).")
    int threads;

    static final class TaskNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Tasks.names().iterator();
        }
    }

    @Override
    public Integer call() {
        if (threads < 0) throw new UserError("--threads must be >= 0, got " + threads);
        if (steps != null && steps < 1) throw new UserError("--steps must be >= 1, got " + steps);
        if (evalEvery != null && evalEvery < 0) throw new UserError("--eval-every must be >= 0, got " + evalEvery);
        Task t = Tasks.get(task);
        PretrainRecipe recipe = t.pretraining().orElseThrow(
                () -> new UserError("task '" + task + "' cannot be pretrained"));
        if (seed != null) recipe = recipe.withSeed(seed);
        if (steps != null) recipe = recipe.withSteps(steps);
        if (evalEvery != null) recipe = recipe.withEvalEvery(evalEvery);
        Path target = out != null ? out : defaultOut(task);
        Torch.init(threads);
        PrintWriter log = spec.commandLine().getOut();
        Pretrainer.run(t, recipe, target, log);
        return 0;
    }

    /** The shipped policy's source folder, which exists only in a raftj checkout. */
    static Path defaultOut(String task) {
        Path resources = Path.of("src", "main", "resources", "raftj", "tasks", task);
        if (!Files.isDirectory(resources)) {
            throw new UserError("--out not given and " + resources + " does not exist here (the default writes the "
                    + "shipped policy and works from the raftj repository root); give --out DIR");
        }
        return resources.resolve("policy");
    }
}

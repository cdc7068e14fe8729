package dev.raftj.cli;

import dev.raftj.core.UserError;
import dev.raftj.diffusion.ShapesBuild;
import dev.raftj.tasks.RewardModelTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import dev.raftj.tasks.build.PretrainRecipe;
import dev.raftj.tasks.build.Pretrainer;
import dev.raftj.tasks.build.RewardModelRecipe;
import dev.raftj.tasks.build.RewardModelTrainer;
import dev.raftj.tasks.build.TaskBuild;
import dev.raftj.torch.Torch;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj pretrain}: rebuilds a built-in task's base policy from a seed. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Build a built-in task's base policy from scratch: random init, then supervised "
                + "training on a corpus generated from the seed.",
                "Tasks whose reward is a model (sentiment) build that reward model first, then the policy.",
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

    @Option(names = "--reward-out", description = "Reward model output folder, for tasks whose reward is a model "
            + "(default: the folder 'reward' beside the policy's output folder).")
    Path rewardOut;

    @Option(names = "--reward-steps", description = "Reward model training steps (default: the task's).")
    Integer rewardSteps;

    @Option(names = "--only", description = "For tasks whose reward is a model: build only the 'reward' model or only "
            + "the 'policy' (which then reports with --reward-out, else the 'reward' folder beside --out if it holds "
            + "a model, else the shipped reward model). Default: both, reward first.")
    Part only;

    enum Part { reward, policy }

    @Option(names = "--threads", defaultValue = "1",
            description = "LibTorch threads (default: ${DEFAULT-VALUE}; more threads are faster but not bit-reproducible).")
    int threads;

    static final class TaskNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            var names = new java.util.ArrayList<>(Tasks.names());
            names.add(ShapesBuild.TASK);
            return names.iterator();
        }
    }

    @Override
    public Integer call() {
        ModelOptions.checkThreads(threads, "--threads");
        if (steps != null && steps < 1) throw new UserError("--steps must be >= 1, got " + steps);
        if (evalEvery != null && evalEvery < 0) throw new UserError("--eval-every must be >= 0, got " + evalEvery);
        if (rewardSteps != null && rewardSteps < 1) throw new UserError("--reward-steps must be >= 1, got " + rewardSteps);
        if (task.equals(ShapesBuild.TASK)) return pretrainShapes();
        Task t = Tasks.get(task);
        TaskBuild build = TaskBuild.of(t);
        Optional<RewardModelRecipe> rewardRecipe = build.rewardModel();
        if (rewardRecipe.isEmpty() && (only != null || rewardOut != null || rewardSteps != null)) {
            throw new UserError("task '" + task + "' has no reward model to build: --only, --reward-out and "
                    + "--reward-steps do not apply");
        }
        PretrainRecipe recipe = build.policy();
        if (seed != null) recipe = recipe.withSeed(seed);
        if (steps != null) recipe = recipe.withSteps(steps);
        if (evalEvery != null) recipe = recipe.withEvalEvery(evalEvery);
        // Only the reward model, to a folder given: no policy folder needed (so no repository checkout).
        Path target = out != null ? out : only == Part.reward && rewardOut != null ? null : defaultOut(task);
        Torch.init(threads);
        PrintWriter log = spec.commandLine().getOut();
        if (rewardRecipe.isPresent() && t instanceof RewardModelTask rt) {
            Path rewardTarget = rewardOut != null ? rewardOut : target.toAbsolutePath().resolveSibling("reward");
            if (only != Part.policy) {
                RewardModelRecipe r = rewardRecipe.get();
                if (seed != null) r = r.withSeed(seed);
                if (rewardSteps != null) r = r.withSteps(rewardSteps);
                if (evalEvery != null) r = r.withEvalEvery(evalEvery);
                RewardModelTrainer.run(r, rewardTarget, log);
            }
            if (only == Part.reward) return 0;
            Path rewardDir = rewardOut != null || Files.isRegularFile(rewardTarget.resolve("model.safetensors"))
                    ? rewardTarget : rt.rewardModel();
            var reward = build.policyReward(rewardDir);
            log.printf("policy held-out \"accuracy\" below is the mean %s by the reward model %s%n", reward.name(),
                    rewardDir);
            Pretrainer.run(t, recipe, target, log, reward);
            return 0;
        }
        Pretrainer.run(t, recipe, target, log);
        return 0;
    }

    /** The shapes task: classifier and base diffusion model into OUT/classifier and OUT/model. */
    private int pretrainShapes() {
        if (only != null || rewardOut != null || rewardSteps != null || evalEvery != null) {
            throw new UserError("task 'shapes' takes --out, --seed, --steps and --threads only");
        }
        ShapesBuild.Recipe r = ShapesBuild.Recipe.defaults();
        r = new ShapesBuild.Recipe(seed != null ? seed : r.seed(), steps != null ? steps : r.steps(), r.batch(), r.lr(),
                r.labelDropout(), r.classifierSteps());
        Path target = out != null ? out : defaultOut(ShapesBuild.TASK).getParent();
        Torch.init(threads);
        ShapesBuild.run(r, target, spec.commandLine().getOut());
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

package dev.raftj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.raftj.align.AlignmentSetup;
import dev.raftj.align.Raft;
import dev.raftj.align.Rest;
import dev.raftj.align.RunState;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RaftConfig;
import dev.raftj.core.UserError;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj align}: run RAFT on a built-in task or a configuration file; resume a run. */
@Command(name = "align", mixinStandardHelpOptions = true,
        description = {"Align a policy with a reward by reward-ranked fine-tuning (RAFT).",
                "With no options: RAFT on the built-in 'arith' task, written to runs/arith.",
                "--algorithm rest|rest-em runs ReST / ReST-EM on the same setting."})
public final class AlignCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", description = "A YAML or JSON run configuration (see README for every key).")
    Path config;

    @Option(names = "--task", description = "Built-in task when no --config is given (default: ${DEFAULT-VALUE}).",
            defaultValue = "arith")
    String task;

    @Option(names = "--out", description = "Output folder: metrics.jsonl, summary.json, checkpoint/ (default: the config's 'out').")
    Path out;

    @Option(names = "--resume", description = "Continue the run in this folder from its last finished stage.")
    Path resume;

    @Option(names = "--stages", description = "Override the number of RAFT stages.")
    Integer stages;

    @Option(names = "--algorithm", description = "Override the algorithm: raft, rest or rest-em.")
    String algorithm;

    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() throws IOException {
        RaftConfig cfg;
        Path configDir = null;
        if (resume != null) {
            cfg = ConfigLoader.load(resume.resolve("config.json"), RaftConfig.class);
            out = resume;
        } else if (config != null) {
            cfg = ConfigLoader.load(config, RaftConfig.class);
            configDir = config.toAbsolutePath().getParent();
        } else {
            cfg = BuiltinTasks.config(task);
        }
        if (deviceGiven()) modelOptions.device(); // a bad --device is named as such, before the config is checked
        cfg = overrides(cfg, configDir);
        Path source = resume != null ? resume.resolve("config.json") : config != null ? config : Path.of("--task " + task);
        cfg.validate(source);
        checkPaths(cfg, source);
        try {
            Torch.device(cfg.device());
        } catch (UserError e) {
            throw UserError.field(source, "device", e.getMessage());
        }
        Path dir = out != null ? out : Path.of(cfg.out());
        modelOptions.threads = modelOptions.threads > 0 ? modelOptions.threads : cfg.threads();
        modelOptions.init();
        if (modelOptions.dtype() != ScalarType.Float) {
            throw new UserError("--dtype: align keeps its models in float32 (bfloat16 is for generate and score)");
        }
        PrintWriter o = spec.commandLine().getOut();
        RunState state;
        AlignmentSetup setup;
        if (resume != null) {
            state = RunState.resume(dir, cfg.sft());
            setup = new AlignmentSetup(cfg, RunState.checkpointDir(dir), null);
            o.printf("resuming %s after stage %d%n", dir, state.stage());
        } else {
            setup = new AlignmentSetup(cfg, null, null); // models and prompts load before DIR is touched
            state = RunState.fresh(dir, cfg.sft());
            writeConfig(dir, cfg);
        }
        o.printf("%s: %d stages × %d prompts × %d samples, %d train / %d eval prompts, reward %s -> %s%n",
                cfg.algorithm().toString().replace('_', '-'), stages(cfg), cfg.batchPrompts(), cfg.sampling().k(), setup.train().size(), setup.eval().size(),
                cfg.reward(), dir);
        o.flush();
        RaftConfig run = cfg;
        java.util.function.Consumer<Map<String, Object>> onStage = line -> progress(o, run, line);
        Map<String, Object> summary = cfg.algorithm() == RaftConfig.Algorithm.RAFT
                ? new Raft(cfg, setup, state, onStage).run()
                : new Rest(cfg, setup, state, dir, onStage).run();
        o.printf("done: eval reward %s -> %s in %.1f s; metrics in %s%n", fmt(summary.get("eval_reward_base")),
                fmt(summary.get("eval_reward_final")), ((Number) summary.get("seconds")).doubleValue(),
                dir.resolve("metrics.jsonl"));
        o.flush();
        return 0;
    }

    /** Applies CLI overrides and makes every path absolute (the saved config must work from anywhere). */
    private RaftConfig overrides(RaftConfig c, Path configDir) {
        RaftConfig.Algorithm algo = algorithm == null ? c.algorithm() : switch (algorithm) {
            case "raft" -> RaftConfig.Algorithm.RAFT;
            case "rest" -> RaftConfig.Algorithm.REST;
            case "rest-em", "rest_em" -> RaftConfig.Algorithm.REST_EM;
            default -> throw new UserError("--algorithm: unknown '" + algorithm + "' (raft, rest, rest-em)");
        };
        return new RaftConfig(algo, abs(configDir, c.model()), c.reward().startsWith("model:")
                ? "model:" + abs(configDir, c.reward().substring(6)) : c.reward(),
                abs(configDir, c.prompts()), c.evalPrompts() == null ? null : abs(configDir, c.evalPrompts()),
                c.evalFraction(), c.batchPrompts(), stages != null ? stages : c.stages(), c.seed(),
                out != null ? out.toString() : c.out(), c.threads(), deviceGiven() ? modelOptions.device : c.device(),
                c.sampling(), c.ranking(), c.sft(), c.rest(), c.onRewardError());
    }

    /** --device overrides the configuration's device only when given on the command line. */
    private boolean deviceGiven() {
        return spec.commandLine().getParseResult().hasMatchedOption("--device");
    }

    /** Missing inputs are configuration errors, named by field, before any work starts. */
    private static void checkPaths(RaftConfig cfg, Path source) {
        if (!Files.isDirectory(Path.of(cfg.model()))) throw UserError.field(source, "model", "folder not found: " + cfg.model());
        if (!Files.isRegularFile(Path.of(cfg.prompts()))) throw UserError.field(source, "prompts", "file not found: " + cfg.prompts());
        if (cfg.evalPrompts() != null && !Files.isRegularFile(Path.of(cfg.evalPrompts()))) {
            throw UserError.field(source, "eval_prompts", "file not found: " + cfg.evalPrompts());
        }
        if (cfg.reward().startsWith("model:") && !Files.isDirectory(Path.of(cfg.reward().substring(6)))) {
            throw UserError.field(source, "reward", "reward model folder not found: " + cfg.reward().substring(6));
        }
    }

    private static String abs(Path dir, String p) {
        if (p == null || p.isBlank()) return p;
        Path path = Path.of(p);
        return (path.isAbsolute() || dir == null ? path : dir.resolve(path)).toAbsolutePath().normalize().toString();
    }

    private static void writeConfig(Path dir, RaftConfig cfg) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(cfg) + "\n");
    }

    /** Stages of the run: RAFT's stages, or ReST's Grow steps × Improve steps. */
    static int stages(RaftConfig cfg) {
        return switch (cfg.algorithm()) {
            case RAFT -> cfg.stages();
            case REST -> cfg.rest().growSteps() * cfg.rest().thresholds().size();
            case REST_EM -> cfg.rest().growSteps();
        };
    }

    private static void progress(PrintWriter o, RaftConfig cfg, Map<String, Object> line) {
        int stage = ((Number) line.get("stage")).intValue(), total = stages(cfg);
        int width = 24, done = total == 0 ? width : Math.min(width, stage * width / total);
        o.printf(Locale.ROOT, "[%s%s] stage %d/%d  reward %s  kept %s  eval %s  kl %s  %.1fs%n",
                "#".repeat(done), ".".repeat(width - done), stage, total, fmt(line.get("reward_mean")),
                fmt(line.get("reward_kept_mean")), fmt(line.get("eval_reward")), fmt(line.get("kl")),
                ((Number) line.get("seconds")).doubleValue());
        o.flush();
    }

    private static String fmt(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.3f", n.doubleValue()) : "-";
    }
}

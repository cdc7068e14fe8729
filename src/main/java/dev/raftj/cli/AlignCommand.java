package dev.raftj.cli;

import dev.raftj.align.AlignmentSetup;
import dev.raftj.align.DataParallel;
import dev.raftj.align.Grpo;
import dev.raftj.align.Ppo;
import dev.raftj.align.Raft;
import dev.raftj.align.Rest;
import dev.raftj.align.RunState;
import dev.raftj.align.RunSummary;
import dev.raftj.align.StageMetrics;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.diffusion.DiffusionAlign;
import dev.raftj.dist.DistEnv;
import dev.raftj.dist.World;
import dev.raftj.report.RunPlot;
import dev.raftj.torch.Torch;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj align}: run RAFT, ReST, ReST-EM, or the GRPO and PPO baselines on a built-in task or a configuration file; resume a run. */
@Command(name = "align", mixinStandardHelpOptions = true,
        description = {"Align a policy with a reward by reward-ranked fine-tuning (RAFT, ReST, ReST-EM), or by the GRPO and PPO baselines.",
                "With no options: RAFT on the built-in 'arith' task, written to runs/arith-raft-TIME.",
                "A new run needs a new or empty --out folder; --resume DIR continues the run in DIR."})
public final class AlignCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", description = "A YAML or JSON run configuration (see README for every key).")
    Path config;

    @Option(names = "--task", description = "Built-in task when no --config is given (default: arith; shapes-diffusion: RAFT on the shapes diffusion model).")
    String task;

    @Option(names = "--out", description = "Output folder, new or empty (default: the config's 'out', else runs/NAME-ALGORITHM-TIME).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in this folder after its last finished stage.")
    Path resume;

    @Option(names = "--stages", description = "RAFT, GRPO or PPO stages, or ReST/ReST-EM Grow steps (also extends a resumed run).")
    Integer stages;

    @Option(names = "--algorithm", description = "raft, rest, rest-em, grpo or ppo (overrides the configuration's).")
    String algorithm;

    @Option(names = "--adapter", description = "Continue training this LoRA adapter (a PEFT folder) on the configured"
            + " model: sets sft.lora.adapter.")
    Path adapter;

    @Option(names = "--set", paramLabel = "FIELD=VALUE",
            description = "Override one configuration field, dotted as in the file (e.g. seed=3, ppo.lr=1e-4,"
                    + " rest.grow_prompts=480); the value is read as YAML. Repeatable.")
    java.util.List<String> sets = new java.util.ArrayList<>();

    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() {
        if (DiffusionAlign.handles(config, task, resume)) {
            if (algorithm != null && !algorithm.equals("raft")) throw new UserError("--algorithm: diffusion models are aligned with raft only");
            return DiffusionAlign.run(config, resume, out, stages, sets, modelOptions.threads, spec.commandLine().getOut());
        }
        if (deviceGiven()) modelOptions.device(); // a bad --device is named as such, before anything else
        if (stages != null && stages < 1) throw new UserError("--stages: must be >= 1, got " + stages);
        ModelOptions.checkThreads(modelOptions.threads, "--threads"); // before a config's threads can replace it
        Path dir;
        RunConfig cfg;
        if (resume != null) {
            dir = resume;
            cfg = resumedConfig();
        } else {
            Path configDir = config != null ? config.toAbsolutePath().getParent() : null;
            cfg = config != null ? ConfigLoader.load(config, RunConfig.class) : BuiltinTasks.config(task != null ? task : "arith");
            if (config != null && task != null) throw new UserError("--task: not used with --config (the configuration names the model)");
            cfg = ConfigLoader.withChanges(cfg, changes(cfg, configDir), source());
            dir = out != null ? out : cfg.out() != null ? Path.of(cfg.out()) : defaultOut(cfg);
        }
        checkPaths(cfg);
        try {
            Torch.device(cfg.device());
        } catch (UserError e) {
            throw UserError.field(source(), "device", e.getMessage());
        }
        if (modelOptions.threads == 0) {
            try {
                ModelOptions.checkThreads(cfg.threads(), "threads");
            } catch (UserError e) {
                throw ConfigLoader.withLine(new dev.raftj.core.ConfigError(source(), "threads",
                        e.getMessage().substring("threads ".length())));
            }
        }
        modelOptions.threads = modelOptions.threads > 0 ? modelOptions.threads : cfg.threads();
        modelOptions.init();
        if (modelOptions.dtype() != ScalarType.Float) {
            throw new UserError("--dtype: align keeps its models in float32 (bfloat16 is for generate and score)");
        }
        // Data parallelism (RANK, WORLD_SIZE, ... set by 'raftj launch', torchrun or a scheduler); a world of one otherwise.
        DistEnv env = DistEnv.of(System.getenv());
        RunConfig local = DataParallel.onLocalDevice(env, cfg);
        try (World world = env.distributed() ? World.connect(env, Torch.device(local.device())) : World.single()) {
            DataParallel.check(world, cfg);
            return run(cfg, local, world.distributed() ? Path.of(world.share("out", dir.toAbsolutePath().toString())) : dir, world);
        }
    }

    /**
     * Rank 0 (or the only process) writes DIR and prints progress; the other ranks keep the same
     * state in memory. {@code local} is the configuration on this process's own device.
     */
    private int run(RunConfig cfg, RunConfig local, Path dir, World world) {
        PrintWriter o = world.leader() ? spec.commandLine().getOut() : new PrintWriter(java.io.Writer.nullWriter());
        RunState state;
        AlignmentSetup setup;
        if (resume != null) {
            if (!world.leader()) world.barrier(); // rank 0 repairs an interrupted save before the others read
            state = RunState.resume(dir, cfg, world.size(), world.leader());
            if (world.leader()) world.barrier();
            setup = new AlignmentSetup(local, state.policyDir(), null);
            checkLimits(setup);
            if (stages != null && world.leader()) RunState.rewriteConfig(dir, cfg);
            o.printf("resuming %s after stage %d%n", dir, state.stage());
        } else {
            setup = new AlignmentSetup(local, null, null); // models and prompts load and are checked before DIR is touched
            checkLimits(setup);
            state = world.leader() ? RunState.fresh(dir, cfg).withWorldSize(world.size())
                    : RunState.follower(dir, cfg, world.size());
        }
        o.printf("%s: %d stages, %d train / %d eval prompts, reward %s -> %s%s%n", cfg.algorithm().label(),
                cfg.totalStages(), setup.train().size(), setup.eval().size(), cfg.reward(), dir,
                world.distributed() ? " (" + world.size() + " processes, data-parallel)" : "");
        o.flush();
        RunConfig run = cfg;
        RunState runState = state;
        Path png = dir.resolve("metrics.png");
        String title = "raftj " + cfg.algorithm().label() + ": " + dir.getFileName();
        Consumer<StageMetrics> onStage = !world.leader() ? line -> { } : line -> {
            progress(o, run, line);
            RunPlot.write(png, runState.lines(), title);
        };
        RunSummary summary = switch (cfg.algorithm()) {
            case RAFT -> new Raft(setup, state, onStage, world).run();
            case REST, REST_EM -> new Rest(setup, state, onStage, world).run();
            case GRPO -> new Grpo(setup, state, onStage, world).run();
            case PPO -> new Ppo(setup, state, onStage, world).run();
        };
        o.printf("done: eval reward %s -> %s, KL %s, in %.1f s; metrics in %s%n", fmt(summary.evalRewardBase()),
                fmt(summary.evalRewardFinal()), fmt(summary.klFinal()), summary.seconds(), dir.resolve("metrics.jsonl"));
        o.flush();
        return 0;
    }

    /**
     * DIR/config.json, which fixes everything about a run but its length: flags that would change it
     * are refused, --stages extends (or shortens) it.
     */
    private RunConfig resumedConfig() {
        for (String flag : new String[] {"--config", "--task", "--algorithm", "--out", "--set", "--adapter"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                throw new UserError(flag + ": not allowed with --resume (" + resume.resolve("config.json")
                        + " fixes the run; start a new run to change it)");
            }
        }
        Path file = resume.resolve("config.json");
        if (!Files.isRegularFile(file)) throw new UserError(resume + ": not a run folder (no config.json)");
        RunConfig cfg = ConfigLoader.load(file, RunConfig.class);
        if (deviceGiven() && !modelOptions.device.strip().equals(cfg.device())) {
            throw new UserError("--device: the run in " + resume + " uses device " + cfg.device()
                    + "; a resumed run keeps its device");
        }
        if (stages == null) return cfg;
        return ConfigLoader.withChanges(cfg, Map.of(cfg.stagesField(), stages), Path.of("--stages"));
    }

    /** Command-line overrides, and every path made absolute (the saved config must work from anywhere). */
    private Map<String, Object> changes(RunConfig c, Path configDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        RunConfig.Algorithm algo = c.algorithm();
        if (algorithm != null) {
            algo = switch (algorithm) {
                case "raft" -> RunConfig.Algorithm.RAFT;
                case "rest" -> RunConfig.Algorithm.REST;
                case "rest-em", "rest_em" -> RunConfig.Algorithm.REST_EM;
                case "grpo" -> RunConfig.Algorithm.GRPO;
                case "ppo" -> RunConfig.Algorithm.PPO;
                default -> throw new UserError("--algorithm: unknown '" + algorithm + "' (raft, rest, rest-em, grpo, ppo)");
            };
            m.put("algorithm", algo.label());
        }
        if (stages != null) m.put(RunConfig.stagesField(algo), stages);
        if (deviceGiven()) m.put("device", modelOptions.device.strip());
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) throw new UserError("--set: expected FIELD=VALUE, got '" + set + "'");
            String value = set.substring(eq + 1);
            try {
                m.put(set.substring(0, eq).strip(), value.isBlank() ? null
                        : new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(value));
            } catch (java.io.IOException e) {
                throw new UserError("--set " + set + ": the value is not YAML: " + e.getMessage(), e);
            }
        }
        if (!sets.isEmpty()) c = ConfigLoader.withChanges(c, m, Path.of("--set"));
        if (adapter != null) m.put("sft.lora.adapter", adapter.toAbsolutePath().normalize().toString());
        else if (c.sft().lora() != null && c.sft().lora().adapter() != null) {
            m.put("sft.lora.adapter", abs(configDir, c.sft().lora().adapter()));
        }
        m.put("model", abs(configDir, c.model()));
        m.put("prompts", abs(configDir, c.prompts()));
        if (c.evalPrompts() != null) m.put("eval_prompts", abs(configDir, c.evalPrompts()));
        m.put("reward", c.reward().withAbsolutePaths(configDir != null ? configDir : Path.of("").toAbsolutePath()));
        var d = c.discriminator();
        if (d.references() != null) m.put("discriminator.references", abs(configDir, d.references()));
        if (!d.init().equals("policy")) m.put("discriminator.init", abs(configDir, d.init()));
        if (d.measure() != null) {
            m.put("discriminator.measure", d.measure().withAbsolutePaths(configDir != null ? configDir : Path.of("").toAbsolutePath()));
        }
        if (out != null) m.put("out", out.toAbsolutePath().normalize().toString());
        else if (c.out() != null) m.put("out", abs(configDir, c.out()));
        return m;
    }

    /** Sizes the configuration multiplies out to (samples, memory, steps), checked before DIR is touched. */
    private void checkLimits(AlignmentSetup setup) {
        try {
            dev.raftj.align.Limits.check(setup, source());
        } catch (dev.raftj.core.ConfigError e) {
            throw ConfigLoader.withLine(e);
        }
    }

    private Path source() {
        return resume != null ? resume.resolve("config.json") : config != null ? config
                : Path.of("--task " + (task != null ? task : "arith"));
    }

    /** runs/NAME-ALGORITHM-yyyyMMdd-HHmmss: a new folder per run. */
    private Path defaultOut(RunConfig cfg) {
        String name = config != null ? config.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "")
                : task != null ? task : "arith";
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path p = Path.of("runs", name + "-" + cfg.algorithm().label() + "-" + stamp);
        for (int n = 2; Files.exists(p); n++) p = Path.of("runs", name + "-" + cfg.algorithm().label() + "-" + stamp + "-" + n);
        return p;
    }

    /** --device overrides the configuration's device only when given on the command line. */
    private boolean deviceGiven() {
        return spec.commandLine().getParseResult().hasMatchedOption("--device");
    }

    /** Missing inputs are configuration errors, named by field, before any work starts. */
    private void checkPaths(RunConfig cfg) {
        Path source = source();
        if (!Files.isDirectory(Path.of(cfg.model()))) throw UserError.field(source, "model", "folder not found: " + cfg.model());
        if (!Files.isRegularFile(Path.of(cfg.prompts()))) throw UserError.field(source, "prompts", "file not found: " + cfg.prompts());
        if (cfg.evalPrompts() != null && !Files.isRegularFile(Path.of(cfg.evalPrompts()))) {
            throw UserError.field(source, "eval_prompts", "file not found: " + cfg.evalPrompts());
        }
        cfg.reward().checkPaths(source, "reward", Path.of("").toAbsolutePath());
        var d = cfg.discriminator();
        if (d.references() != null && !Files.isRegularFile(Path.of(d.references()))) {
            throw UserError.field(source, "discriminator.references", "file not found: " + d.references());
        }
        if (!d.init().equals("policy") && !Files.isDirectory(Path.of(d.init()))) {
            throw UserError.field(source, "discriminator.init", "folder not found: " + d.init());
        }
        if (d.measure() != null) d.measure().checkPaths(source, "discriminator.measure", Path.of("").toAbsolutePath());
    }

    private static String abs(Path dir, String p) {
        if (p == null || p.isBlank()) return p;
        Path path = Path.of(p);
        return (path.isAbsolute() || dir == null ? path : dir.resolve(path)).toAbsolutePath().normalize().toString();
    }

    private static void progress(PrintWriter o, RunConfig cfg, StageMetrics line) {
        int total = cfg.totalStages(), width = 24, done = total == 0 ? width : Math.min(width, line.stage() * width / total);
        String pg = line.policyLoss() == null ? "" : String.format(Locale.ROOT, "  loss %s  clip %s%s",
                fmt(line.policyLoss()), fmt(line.clipFraction()),
                line.valueLoss() == null ? "" : "  vf " + fmt(line.valueLoss()) + "  β " + fmt(line.klCoef()));
        o.printf(Locale.ROOT, "[%s%s] stage %d/%d  reward %s  kept %s  eval %s  kl %s%s  %.1fs%n",
                "#".repeat(done), ".".repeat(width - done), line.stage(), total, fmt(line.rewardMean()),
                fmt(line.rewardKeptMean()), fmt(line.evalReward()), fmt(line.kl()), pg, line.seconds());
        o.flush();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
}

package dev.raftj.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.align.AlignmentSetup;
import dev.raftj.align.Grpo;
import dev.raftj.align.Ppo;
import dev.raftj.align.Raft;
import dev.raftj.align.Rest;
import dev.raftj.align.RunState;
import dev.raftj.align.RunSummary;
import dev.raftj.align.StageMetrics;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * One iteration (one stage) of each algorithm on the built-in {@code arith} task, through the real
 * loop classes ({@link Raft}, {@link Rest} as ReST-EM, {@link Grpo}, {@link Ppo}): each measured call
 * runs one stage from the base policy on the same 64 prompts × 8 samples (same seed, so every call
 * draws the same samples), with the arith preset's training settings (BuiltinTasks at this commit)
 * and no held-out evaluation. The JMH score is the whole call (stage + writing its metrics line,
 * checkpoint and summary); the split into generation, reward, selection / advantages and training
 * is the loop's own timer (metrics.jsonl {@code time}) of each measured call, written per
 * algorithm to {@code -Draftj.phases=DIR} as {@code iteration-ALGORITHM.json} (every call's split;
 * {@link IterationPhases} tabulates them). Model loading is in the per-call setup, outside the score.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 3)
@Measurement(iterations = 10)
public class AlignIterationBench {
    @Param({"raft", "rest-em", "grpo", "ppo"})
    public String algorithm;

    /** LibTorch intra-op threads; 0 = the machine's cores. */
    @Param({"0"})
    public int threads;

    private RunConfig config;
    private Path root;
    private int calls;
    private boolean measuring;
    private AlignmentSetup setup;
    private RunState state;
    private final List<Map<String, Double>> measured = new ArrayList<>();

    @Setup(Level.Trial)
    public void trial() throws IOException {
        Torch.init(threads);
        config = ConfigLoader.parse(yaml(Tasks.get("arith"), algorithm), Path.of("AlignIterationBench"), RunConfig.class);
        root = Files.createTempDirectory("raftj-iteration-");
    }

    /**
     * The arith preset of BuiltinTasks (64 prompts × 8 samples; SFT 2 epochs of 16-row batches at
     * lr 5e-4; GRPO 16 minibatches, PPO 8, lr 5e-4 / 3e-4) cut to one stage, ReST-EM's Grow step to
     * the same 64 prompts, and no held-out prompts.
     */
    static String yaml(Task task, String algorithm) {
        ObjectMapper json = new ObjectMapper();
        try {
            return """
                    algorithm: %s
                    model: %s
                    reward: task:arith
                    prompts: %s
                    eval_fraction: 0.0
                    seed: 1
                    sampling: {k: 8, temperature: 1.0, max_new_tokens: %d}
                    sft: {epochs: 2, lr: 5.0e-4, batch_size: 16}
                    raft: {stages: 1, batch_prompts: 64}
                    rest: {grow_steps: 1, grow_prompts: 64}
                    grpo: {stages: 1, batch_prompts: 64, lr: 5.0e-4, minibatches: 16}
                    ppo: {stages: 1, batch_prompts: 64, lr: 3.0e-4, minibatches: 8}
                    """.formatted(algorithm, json.writeValueAsString(task.policy().toString()),
                    json.writeValueAsString(task.trainFile().toString()), task.maxNewTokens());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh run from the base policy (loading it is not part of the score). */
    @Setup(Level.Iteration)
    public void freshRun(IterationParams params) {
        measuring = params.getType() == IterationType.MEASUREMENT;
        setup = new AlignmentSetup(config, null, null);
        state = RunState.fresh(root.resolve("call-" + calls++), config);
    }

    @Benchmark
    public RunSummary stage() {
        List<StageMetrics> lines = new ArrayList<>();
        Consumer<StageMetrics> onStage = lines::add;
        RunSummary summary = switch (config.algorithm()) {
            case RAFT -> new Raft(setup, state, onStage).run();
            case REST, REST_EM -> new Rest(setup, state, onStage).run();
            case GRPO -> new Grpo(setup, state, onStage).run();
            case PPO -> new Ppo(setup, state, onStage).run();
        };
        StageMetrics last = lines.get(lines.size() - 1);
        if (last.stage() != 1) throw new IllegalStateException("expected stage 1, got " + last.stage());
        if (measuring) {
            Map<String, Double> split = new LinkedHashMap<>(last.time());
            split.put("seconds", last.seconds());
            measured.add(split);
        }
        return summary;
    }

    @TearDown(Level.Iteration)
    public void dropRun() throws IOException {
        setup = null;
        state = null;
        deleteTree(root);
        Files.createDirectories(root);
    }

    @TearDown(Level.Trial)
    public void writePhases() throws IOException {
        deleteTree(root);
        String dir = System.getProperty("raftj.phases");
        if (dir == null || dir.isBlank()) return;
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("algorithm", algorithm);
        out.put("threads", threads);
        out.set("calls", json.valueToTree(measured));
        Path file = Path.of(dir).resolve("iteration-" + algorithm + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}

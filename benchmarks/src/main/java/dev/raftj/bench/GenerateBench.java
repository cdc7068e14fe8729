package dev.raftj.bench;

import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batched sampling throughput: 64 prompts (8–16 random token ids, fixed seed) × 8 samples × 64
 * new tokens, EOS ignored, so one invocation makes exactly 32,768 new tokens. With
 * {@code @OperationsPerInvocation(32768)} and Mode.Throughput the score is new tokens per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(GenerateBench.TOKENS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
public class GenerateBench {
    static final int PROMPTS = 64;
    static final int SAMPLES = 8;
    static final int NEW_TOKENS = 64;
    static final int TOKENS = PROMPTS * SAMPLES * NEW_TOKENS;

    @Param({"gpt2-tiny", "llama-tiny"})
    public String model;

    /** LibTorch intra-op threads; 0 = the machine's cores. */
    @Param({"0"})
    public int threads;

    /**
     * OpenBLAS threads: −1 = raftj's choice (the default); n > 0 = n fixed (system property
     * raftj.blas.threads, which builds with the per-size rule honour; older builds just start so).
     */
    @Param({"-1"})
    public int blas;

    private Generator generator;
    private List<int[]> prompts;
    private SamplingParams params;

    @Setup(Level.Trial)
    public void setup() {
        if (blas > 0) System.setProperty("raftj.blas.threads", Integer.toString(blas));
        Torch.init(threads);
        if (blas > 0) org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(blas);
        CausalLM lm = CausalLM.load(BenchSupport.model(model));
        generator = new Generator(lm);
        prompts = BenchSupport.randomPrompts(PROMPTS, 8, 16, lm.config().vocabSize, 1234);
        params = SamplingParams.sampling(1.0, NEW_TOKENS, SAMPLES, 42).withIgnoreEos(true);
        System.out.println(BenchSupport.threadReport(threads));
    }

    @Benchmark
    public List<Sample> generate() {
        List<Sample> out = generator.generate(prompts, params);
        if (out.size() != PROMPTS * SAMPLES || out.get(0).tokens().length != NEW_TOKENS) {
            throw new IllegalStateException("expected " + PROMPTS * SAMPLES + " samples of " + NEW_TOKENS + " tokens");
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.println(BenchSupport.threadReport(threads) + " rss_mb=" + BenchSupport.rssKb() / 1024);
    }
}

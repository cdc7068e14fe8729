package dev.raftj.bench;

import dev.raftj.align.SequenceLogprobs;
import dev.raftj.align.TokenBatch;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Device;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The phases of one RAFT stage at 124M (see {@link Gpt2Small}), each call timed on its own
 * (SingleShotTime: these calls take seconds): {@code prefill} = generate 1 new token for 16
 * prompts × 4 samples; {@code generate33} = the same with 33 new tokens, so decode of 32 tokens =
 * generate33 − prefill, as the issue measures HF; {@code score} = summed log-probs of 64 prompt +
 * response rows (~44 tokens); {@code sftStep} = one step at batch 8 × ~44 tokens (AdamW, clip 1.0,
 * the checkpoint's dropout 0.1). Only stable raftj API is used, so the same class runs against
 * an older build for a side-by-side comparison. Each benchmark gets its own JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class Gpt2SmallBench {
    /** LibTorch intra-op threads; 0 = the machine's cores. */
    @Param({"0"})
    public int threads;

    /**
     * OpenBLAS threads: −1 = raftj's choice (the default); n > 0 = n fixed (system property
     * raftj.blas.threads, which builds with the per-size rule honour; older builds just start so).
     */
    @Param({"-1"})
    public int blas;

    private CausalLM lm;
    private Generator generator;
    private List<int[]> prompts;
    private List<int[]> scorePrompts, scoreResponses;
    private TokenBatch sftBatch;
    private SftStep sft;
    private long rssBefore;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        if (blas > 0) System.setProperty("raftj.blas.threads", Integer.toString(blas));
        Torch.init(threads);
        if (blas > 0) org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(blas);
        lm = CausalLM.load(Gpt2Small.modelDir());
        Tokenizer tok = Tokenizer.load(Gpt2Small.modelDir());
        prompts = Gpt2Small.prompts(tok);
        generator = new Generator(lm);
        scorePrompts = Gpt2Small.repeat(prompts, Gpt2Small.SAMPLES, Gpt2Small.SCORE_ROWS);
        scoreResponses = Gpt2Small.responses(Gpt2Small.SCORE_ROWS, 7);
        if (params.getBenchmark().endsWith("sftStep")) {
            List<int[]> p = Gpt2Small.repeat(prompts.subList(0, Gpt2Small.SFT_ROWS), 1, Gpt2Small.SFT_ROWS);
            sftBatch = TokenBatch.of(p, Gpt2Small.responses(Gpt2Small.SFT_ROWS, 8), 50256, new Device("cpu"));
            sft = new SftStep(lm, 1e-5, 0.0, 1.0);
        }
        rssBefore = BenchSupport.rssKb();
        System.out.println(BenchSupport.threadReport(threads) + " rss_mb_after_load=" + rssBefore / 1024);
    }

    private SamplingParams sampling(int newTokens) {
        return SamplingParams.sampling(1.0, newTokens, Gpt2Small.SAMPLES, 42).withIgnoreEos(true);
    }

    @Benchmark
    public List<Sample> prefill() {
        return check(generator.generate(prompts, sampling(1)), 1);
    }

    @Benchmark
    public List<Sample> generate33() {
        return check(generator.generate(prompts, sampling(Gpt2Small.NEW_TOKENS + 1)), Gpt2Small.NEW_TOKENS + 1);
    }

    @Benchmark
    public double[] score() {
        return SequenceLogprobs.of(lm, scorePrompts, scoreResponses, Gpt2Small.SCORE_ROWS);
    }

    @Benchmark
    public double sftStep() {
        SftStep.Result r = sft.step(sftBatch.ids(), sftBatch.mask(), sftBatch.labels());
        if (!Double.isFinite(r.loss())) throw new IllegalStateException("loss " + r.loss());
        return r.loss();
    }

    private static List<Sample> check(List<Sample> out, int tokens) {
        if (out.size() != Gpt2Small.PROMPTS * Gpt2Small.SAMPLES || out.get(0).tokens().length != tokens) {
            throw new IllegalStateException("expected " + Gpt2Small.PROMPTS * Gpt2Small.SAMPLES + " samples of " + tokens);
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.println(BenchSupport.threadReport(threads) + " rss_mb=" + BenchSupport.rssKb() / 1024
                + " peak_rss_mb=" + BenchSupport.peakRssKb() / 1024);
        if (sft != null) sft.close();
    }
}

package dev.raftj.bench;

import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
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

/**
 * One SFT step (forward, masked cross-entropy, backward, grad norm + clipping, AdamW) on a full
 * batch of 32 × 128 random tokens (the tiny models' whole context); labels are the ids with the
 * first 4 positions set to −100 (a "prompt"). Score: milliseconds per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
public class SftStepBench {
    static final int BATCH = 32;
    static final int SEQ = 128;
    static final int PROMPT = 4;

    @Param({"gpt2-tiny", "llama-tiny"})
    public String model;

    /** LibTorch intra-op threads; 0 = the machine's cores. */
    @Param({"0"})
    public int threads;

    private SftStep sft;
    private Tensor ids;
    private Tensor mask;
    private Tensor labels;
    private double lastLoss = Double.NaN;

    @Setup(Level.Trial)
    public void setup() {
        Torch.init(threads);
        CausalLM lm = CausalLM.load(BenchSupport.model(model));
        int vocab = lm.config().vocabSize;
        if (lm.config().maxPositions < SEQ) {
            throw new IllegalStateException(model + ": context " + lm.config().maxPositions + " < " + SEQ);
        }
        Random rnd = new Random(99);
        long[] tok = new long[BATCH * SEQ];
        long[] lab = new long[BATCH * SEQ];
        long[] m = new long[BATCH * SEQ];
        for (int i = 0; i < tok.length; i++) {
            tok[i] = 2 + rnd.nextInt(vocab - 2);
            lab[i] = (i % SEQ) < PROMPT ? -100 : tok[i];
            m[i] = 1;
        }
        ids = Torch.longs(tok, BATCH, SEQ);
        mask = Torch.longs(m, BATCH, SEQ);
        labels = Torch.longs(lab, BATCH, SEQ);
        // small lr: many steps on one batch should stay finite
        sft = new SftStep(lm, 1e-4, 0.0, 1.0);
        System.out.println(BenchSupport.threadReport(threads));
    }

    @Benchmark
    public double step() {
        SftStep.Result r = sft.step(ids, mask, labels);
        lastLoss = r.loss();
        return r.loss();
    }

    @TearDown(Level.Trial)
    public void report() {
        if (!Double.isFinite(lastLoss)) throw new IllegalStateException("loss is not finite: " + lastLoss);
        System.out.println(BenchSupport.threadReport(threads) + " last_loss=" + lastLoss
                + " rss_mb=" + BenchSupport.rssKb() / 1024);
        sft.close();
    }
}

package dev.raftj.bench;

import dev.raftj.data.Tokenizer;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The GEMM roofline of each 124M phase: only the float32 matrix products that phase cannot avoid,
 * on the checkpoint's own weight matrices, into preallocated outputs (no other op). Rows are the
 * padded shapes of {@link Gpt2SmallBench}'s workload:
 * <ul>
 * <li>{@code decodeStep}: one decode step of 64 rows: per layer x·W for attn.c_attn [768×2304],
 *     attn.c_proj [768×768], mlp.c_fc [768×3072], mlp.c_proj [3072×768], then the tied head
 *     [64×768]·[768×50257]. Decode of 32 tokens = 32 × this.
 * <li>{@code prefill}: the body on each prompt once (16 × padded prompt length rows) and the head
 *     at the last position only (16 rows); the K samples share the result.
 * <li>{@code score}: the body on 64 × padded (prompt + response) rows and the head only where a
 *     response token is predicted (64 × 29 rows).
 * <li>{@code sftStep}: forward and backward (x·W, dY·Wᵀ, Xᵀ·dY) of the body on 8 × padded rows and
 *     of the head on the 8 × 29 response positions.
 * </ul>
 * Attention's own products (T ≤ 50) and everything elementwise are left out: that is what "GEMM
 * roofline" means here. {@code blas} sets OpenBLAS's threads at run time (LibTorch hands float32
 * GEMMs to OpenBLAS, whose thread count is separate from LibTorch's intra-op threads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class Gpt2SmallGemmBench {
    @Param({"2"})
    public int blas;

    @Param({"0"})
    public int threads;

    /** One product a·b into out; {@code a} and {@code b} may be transposed views. */
    record Mm(Tensor out, Tensor a, Tensor b) {
        void run() {
            torch.mm_out(out, a, b);
        }
    }

    private final List<Mm> decodeStep = new ArrayList<>(), prefill = new ArrayList<>(), score = new ArrayList<>(),
            sft = new ArrayList<>();

    @Setup(Level.Trial)
    public void setup() {
        Torch.init(threads);
        openblas_nolapack.blas_set_num_threads(blas);
        CausalLM lm = CausalLM.load(Gpt2Small.modelDir());
        List<int[]> prompts = Gpt2Small.prompts(Tokenizer.load(Gpt2Small.modelDir()));
        int promptPad = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        int sftPad = prompts.subList(0, Gpt2Small.SFT_ROWS).stream().mapToInt(p -> p.length).max().orElseThrow()
                + Gpt2Small.RESPONSE;
        int scorePad = promptPad + Gpt2Small.RESPONSE;
        Map<String, Tensor> w = lm.weights();
        Tensor wte = w.get("transformer.wte.weight");
        int layers = lm.config().layers;
        forward(decodeStep, w, layers, 64, wte, 64);
        forward(prefill, w, layers, (long) Gpt2Small.PROMPTS * promptPad, wte, Gpt2Small.PROMPTS);
        forward(score, w, layers, (long) Gpt2Small.SCORE_ROWS * scorePad, wte,
                (long) Gpt2Small.SCORE_ROWS * Gpt2Small.RESPONSE);
        long rows = (long) Gpt2Small.SFT_ROWS * sftPad, headRows = (long) Gpt2Small.SFT_ROWS * Gpt2Small.RESPONSE;
        for (int i = 0; i < layers; i++) {
            for (String name : linearNames(i)) trainLinear(sft, w.get(name), rows);
        }
        trainLinear(sft, wte.t(), headRows);
        System.out.printf("# gemm roofline shapes: prompt pad %d, score pad %d, sft pad %d; blas threads %d, torch threads %d%n",
                promptPad, scorePad, sftPad, openblas_nolapack.blas_get_num_threads(), torch.get_num_threads());
    }

    private static String[] linearNames(int layer) {
        String p = "transformer.h." + layer + ".";
        return new String[] {p + "attn.c_attn.weight", p + "attn.c_proj.weight", p + "mlp.c_fc.weight",
                p + "mlp.c_proj.weight"};
    }

    /** Body GEMMs at {@code rows} rows, then the tied head [headRows×d]·[d×V]. */
    private static void forward(List<Mm> out, Map<String, Tensor> w, int layers, long rows, Tensor wte, long headRows) {
        for (int i = 0; i < layers; i++) {
            for (String name : linearNames(i)) {
                Tensor wt = w.get(name);
                out.add(new Mm(torch.empty(rows, wt.size(1)), torch.randn(rows, wt.size(0)), wt));
            }
        }
        out.add(new Mm(torch.empty(headRows, wte.size(0)), torch.randn(headRows, wte.size(1)), wte.t()));
    }

    /** Y = X·W, dX = dY·Wᵀ, dW = Xᵀ·dY for W [in×out] (a view is fine). */
    private static void trainLinear(List<Mm> out, Tensor wt, long rows) {
        long in = wt.size(0), o = wt.size(1);
        Tensor x = torch.randn(rows, in), dy = torch.randn(rows, o);
        out.add(new Mm(torch.empty(rows, o), x, wt));
        out.add(new Mm(torch.empty(rows, in), dy, wt.t()));
        out.add(new Mm(torch.empty(in, o), x.t(), dy));
    }

    private static int runAll(List<Mm> list) {
        for (Mm m : list) m.run();
        return list.size();
    }

    @Benchmark
    public int decodeStep() {
        return runAll(decodeStep);
    }

    @Benchmark
    public int prefill() {
        return runAll(prefill);
    }

    @Benchmark
    public int score() {
        return runAll(score);
    }

    @Benchmark
    public int sftStep() {
        return runAll(sft);
    }
}

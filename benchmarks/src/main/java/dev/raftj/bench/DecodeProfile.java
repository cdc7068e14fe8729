package dev.raftj.bench;

import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.SamplingParams;
import dev.raftj.kernels.Kernels;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Finite;
import dev.raftj.torch.Torch;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Where a 124M decode step's time goes, side by side in one run: the whole generate call
 * (16 prompts × 4 samples × 32 tokens, as Gpt2SmallBench.generate33), and each part of a 64-row
 * step at the step's own shapes: the GEMMs alone (the roofline: 12 layers' four projections plus the
 * vocabulary head), SDPA alone (12 calls over a ~40-key cache), the elementwise rest (LayerNorm, GELU,
 * residual adds, cache writes), the sampling call, the finiteness check of the logits and the logits
 * copy. Medians of {@code reps} repetitions, in ms per step (× 32 for a call).
 *
 * <pre>java -Draftj.model124m=DIR -cp CP dev.raftj.bench.DecodeProfile [reps]</pre>
 */
public final class DecodeProfile {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Torch.init(0);
        CausalLM model = CausalLM.load(Gpt2Small.modelDir());
        Tokenizer tok = Tokenizer.load(Gpt2Small.modelDir());
        List<int[]> prompts = Gpt2Small.prompts(tok);
        Generator gen = new Generator(model);
        SamplingParams p = SamplingParams.sampling(1.0, Gpt2Small.NEW_TOKENS, Gpt2Small.SAMPLES, 42).withIgnoreEos(true);
        SamplingParams p1 = SamplingParams.sampling(1.0, 1, Gpt2Small.SAMPLES, 42).withIgnoreEos(true);
        double[] generate = new double[reps], prefill = new double[reps];
        for (int r = 0; r < reps + 1; r++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                gen.generate(prompts, p1);
                long t1 = System.nanoTime();
                gen.generate(prompts, p);
                long t2 = System.nanoTime();
                if (r > 0) {
                    prefill[r - 1] = (t1 - t0) / 1e6;
                    generate[r - 1] = (t2 - t1) / 1e6;
                }
            }
        }
        int rows = Gpt2Small.PROMPTS * Gpt2Small.SAMPLES, keys = 40, d = 768, h = 12, hd = 64, inner = 3072;
        long v = model.config().vocabSize;
        double[] gemm = new double[reps], sdpa = new double[reps], elementwise = new double[reps],
                sample = new double[reps], finite = new double[reps], copy = new double[reps],
                sdpaNoMask = new double[reps], math = new double[reps], elementwiseAttn = new double[reps], kernel = new double[reps];
        java.lang.reflect.Method decodeAttention = decodeAttention();
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            torch.manual_seed(1);
            Tensor x = torch.randn(rows, 1, d).mul(new Scalar(0.5));
            Tensor x2 = x.reshape(rows, d);
            Tensor wAttn = model.weights().get("transformer.h.0.attn.c_attn.weight");
            Tensor wProj = model.weights().get("transformer.h.0.attn.c_proj.weight");
            Tensor wFc = model.weights().get("transformer.h.0.mlp.c_fc.weight");
            Tensor wFcProj = model.weights().get("transformer.h.0.mlp.c_proj.weight");
            Tensor bAttn = model.weights().get("transformer.h.0.attn.c_attn.bias");
            Tensor bProj = model.weights().get("transformer.h.0.attn.c_proj.bias");
            Tensor bFc = model.weights().get("transformer.h.0.mlp.c_fc.bias");
            Tensor bFcProj = model.weights().get("transformer.h.0.mlp.c_proj.bias");
            Tensor lnW = model.weights().get("transformer.h.0.ln_1.weight");
            Tensor lnB = model.weights().get("transformer.h.0.ln_1.bias");
            Tensor head = model.weights().get("transformer.wte.weight");
            Tensor hidden = torch.randn(rows, inner);
            Tensor cacheK = torch.randn(rows, h, 48, hd), cacheV = torch.randn(rows, h, 48, hd);
            Tensor q = torch.randn(rows, h, 1, hd);
            Tensor mask = torch.ones(new long[] {rows, 1, 1, keys}, Torch.options(ScalarType.Bool, model.device()));
            Tensor logits = torch.randn(rows, v).mul(new Scalar(3));
            Tensor logitsBuf = torch.empty(new long[] {rows, v});
            Kernels kernels = Kernels.forDevice(model.device());
            Kernels.SamplingRows rowParams = new Kernels.SamplingRows(
                    torch.full(new long[] {rows}, new Scalar(1.0)),
                    torch.full(new long[] {rows}, new Scalar(0), Torch.options(ScalarType.Long, model.device())),
                    torch.full(new long[] {rows}, new Scalar(1.0)),
                    torch.full(new long[] {rows}, new Scalar(0.0)));
            for (int r = 0; r < reps + 1; r++) {
                int i = Math.max(r - 1, 0);
                // GEMMs of one step: 12 × (c_attn, c_proj, c_fc, mlp c_proj) on 64 rows + the head
                Torch.gemmRows(rows, d, inner);
                long t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        String pre = "transformer.h." + l + ".";
                        var w = model.weights();
                        torch.addmm(w.get(pre + "attn.c_attn.bias"), x2, w.get(pre + "attn.c_attn.weight"));
                        torch.addmm(w.get(pre + "attn.c_proj.bias"), x2, w.get(pre + "attn.c_proj.weight"));
                        torch.addmm(w.get(pre + "mlp.c_fc.bias"), x2, w.get(pre + "mlp.c_fc.weight"));
                        torch.addmm(w.get(pre + "mlp.c_proj.bias"), hidden, w.get(pre + "mlp.c_proj.weight"));
                    }
                }
                try (PointerScope ls = new PointerScope()) {
                    torch.linear(x2, head);
                }
                gemm[i] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        torch.scaled_dot_product_attention(q, cacheK.narrow(2, 0, keys), cacheV.narrow(2, 0, keys),
                                new TensorOptional(mask), 0.0, false, new DoubleOptional(0.125), false)
                                .transpose(1, 2).reshape(rows, 1, d);
                    }
                }
                sdpa[i] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        torch.scaled_dot_product_attention(q, cacheK.narrow(2, 0, keys), cacheV.narrow(2, 0, keys),
                                new TensorOptional(), 0.0, false, new DoubleOptional(0.125), false)
                                .transpose(1, 2).reshape(rows, 1, d);
                    }
                }
                sdpaNoMask[i] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        Tensor k = cacheK.narrow(2, 0, keys), vv = cacheV.narrow(2, 0, keys);
                        Tensor probs = torch.matmul(q, k.transpose(2, 3)).mul_(new Scalar(0.125))
                                .masked_fill_(mask.logical_not(), new Scalar(Double.NEGATIVE_INFINITY)).softmax(3);
                        torch.matmul(probs, vv).transpose(1, 2).reshape(rows, 1, d);
                    }
                }
                math[i] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        Tensor k = cacheK.narrow(2, 0, keys), vv = cacheV.narrow(2, 0, keys);
                        Tensor probs = q.mul(k).sum(new long[] {3}, false, null).mul_(new Scalar(0.125))
                                .masked_fill_(mask.view(rows, 1, keys).logical_not(), new Scalar(Double.NEGATIVE_INFINITY)).softmax(2);
                        probs.unsqueeze(3).mul(vv).sum(new long[] {2}, false, null).reshape(rows, d);
                    }
                }
                elementwiseAttn[i] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12 && decodeAttention != null; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        decodeAttention.invoke(null, q, cacheK.narrow(2, 0, keys), cacheV.narrow(2, 0, keys), mask, 0.125);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                }
                kernel[i] = decodeAttention == null ? Double.NaN : (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                for (int l = 0; l < 12; l++) {
                    try (PointerScope ls = new PointerScope()) {
                        Tensor a = torch.layer_norm(x, new long[] {d}, new TensorOptional(lnW), new TensorOptional(lnB), 1e-5, false);
                        torch.layer_norm(a, new long[] {d}, new TensorOptional(lnW), new TensorOptional(lnB), 1e-5, false);
                        torch.gelu(hidden, "tanh");
                        x.add(a).add(a);
                        cacheK.narrow(2, keys, 1).copy_(q);
                        cacheV.narrow(2, keys, 1).copy_(q);
                    }
                }
                elementwise[i] = (System.nanoTime() - t) / 1e6;
                try (PointerScope ls = new PointerScope()) {
                    t = System.nanoTime();
                    kernels.sample(logits, rowParams, 42, r);
                    sample[i] = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    Finite.all(logits);
                    finite[i] = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    logitsBuf.copy_(logits);
                    copy[i] = (System.nanoTime() - t) / 1e6;
                }
            }
        }
        double steps = Gpt2Small.NEW_TOKENS;
        double decodeStep = (med(generate) - med(prefill)) / steps;
        System.out.printf(Locale.ROOT, "generate33 %.0f ms, prefill+1 %.0f ms: decode %.1f ms per step (%d reps, medians)%n",
                med(generate), med(prefill), decodeStep, reps);
        double parts = med(gemm) + med(sdpa) + med(elementwise) + med(sample) + med(finite) + med(copy);
        System.out.printf(Locale.ROOT, "per step, ms: GEMMs (roofline) %.1f | SDPA x12 %.1f | LayerNorm/GELU/adds/cache writes x12 %.1f"
                + " | sample %.1f | finite check %.1f | logits copy %.1f | sum %.1f | unexplained %.1f%n",
                med(gemm), med(sdpa), med(elementwise), med(sample), med(finite), med(copy), parts, decodeStep - parts);
        alternatives(sdpaNoMask, math, elementwiseAttn);
        System.out.printf(Locale.ROOT, "raftj's decode attention (what decoding runs) x12 per step, ms: %.1f%n", med(kernel));
    }

    /** DecodeAttention.attend when this build has it and its CPU kernel loaded (older builds: null). */
    private static java.lang.reflect.Method decodeAttention() {
        try {
            Class<?> c = Class.forName("dev.raftj.model.DecodeAttention");
            java.lang.reflect.Method applies = c.getDeclaredMethod("applies", Tensor.class, Tensor.class);
            java.lang.reflect.Method attend = c.getDeclaredMethod("attend", Tensor.class, Tensor.class, Tensor.class, Tensor.class, double.class);
            applies.setAccessible(true);
            attend.setAccessible(true);
            Tensor probe = torch.zeros(1, 1, 1, 8);
            return (Boolean) applies.invoke(null, probe, probe) ? attend : null;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    static void alternatives(double[] noMask, double[] math, double[] elementwise) {
        System.out.printf(Locale.ROOT, "attention alternatives, x12 per step, ms: SDPA without mask %.1f | matmul+softmax+matmul %.1f"
                + " | multiply+sum %.1f%n", med(noMask), med(math), med(elementwise));
    }

    private static double med(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

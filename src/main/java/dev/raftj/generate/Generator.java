package dev.raftj.generate;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.kernels.Kernels;
import dev.raftj.model.CausalLM;
import dev.raftj.model.KvCache;
import dev.raftj.model.Positions;
import dev.raftj.torch.Finite;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Batched generation with a KV cache. Prompts are left-padded into batches (at most batchRows
 * sequences a pass, K rows per prompt, prompt-major); each prompt is prefilled once and its K
 * samples share that prefill (KV cache and last-position logits), then all rows decode token by
 * token; position ids follow the attention mask (cumulative sum − 1) as in HF generation, so
 * padded rows match unpadded ones.
 */
public final class Generator {
    private final CausalLM model;
    private final Kernels kernels;
    private final int batchRows;
    private final int padId;
    private final int[] eosIds;

    /** Sequences generated together by default (prompts × samples per pass). */
    public static final int DEFAULT_BATCH_ROWS = 512;
    /** Responses one call can return (Java arrays and lists are int-indexed). */
    public static final long MAX_SAMPLES = Integer.MAX_VALUE - 8;

    public Generator(CausalLM model) {
        this(model, Kernels.forDevice(model.device()), DEFAULT_BATCH_ROWS);
    }

    /** {@code batchRows}: sequences per pass, at least one prompt's samples; bounds KV cache and logits memory. */
    public Generator(CausalLM model, int batchRows) {
        this(model, Kernels.forDevice(model.device()), batchRows);
    }

    public Generator(CausalLM model, Kernels kernels, int batchRows) {
        if (batchRows < 1) throw new IllegalArgumentException("batch rows must be >= 1, got " + batchRows);
        this.model = model;
        this.kernels = kernels;
        this.batchRows = batchRows;
        this.padId = Math.max(model.config().padTokenId, 0);
        this.eosIds = model.config().eosTokenIds;
    }

    /**
     * Generates {@code params.numSamples()} responses per prompt; results are prompt-major. Prompts
     * go in passes of at most {@code batchRows} sequences; pass c > 0 draws with a seed derived from
     * (seed, c), so no two passes share random numbers and one pass reproduces the unsplit call.
     */
    public List<Sample> generate(List<int[]> prompts, SamplingParams params) {
        int k = params.numSamples();
        long total = (long) prompts.size() * k;
        if (total > MAX_SAMPLES) {
            throw new UserError(prompts.size() + " prompts × " + k + " samples = " + total + " responses: more than "
                    + MAX_SAMPLES + " cannot be held in one call; ask for fewer samples per prompt or split the prompts");
        }
        int perPass = Math.max(1, batchRows / k);
        if (prompts.size() <= perPass) return generatePass(prompts, params);
        List<Sample> out = new ArrayList<>((int) total);
        for (int start = 0, pass = 0; start < prompts.size(); start += perPass, pass++) {
            List<int[]> part = prompts.subList(start, Math.min(prompts.size(), start + perPass));
            SamplingParams p = pass == 0 ? params : params.withSamples(k, Shuffle.deriveSeed(params.seed(), pass));
            for (Sample s : generatePass(part, p)) {
                out.add(new Sample(s.prompt() + start, s.sample(), s.tokens(), s.logprobs(), s.endedByEos()));
            }
        }
        return out;
    }

    private List<Sample> generatePass(List<int[]> prompts, SamplingParams params) {
        int k = params.numSamples();
        int rows = Math.toIntExact((long) prompts.size() * k); // at most MAX_SAMPLES, checked in generate
        int promptLen = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int context = model.config().maxPositions;
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length == 0) throw new UserError("prompt " + (i + 1) + " is empty after tokenization");
            // 64-bit: a max-new-tokens near 2^31 must not wrap around and pass
            if ((long) prompts.get(i).length + params.maxNewTokens() > context) {
                throw new UserError("prompt " + (i + 1) + " has " + prompts.get(i).length + " tokens; with "
                        + params.maxNewTokens() + " new tokens that exceeds the model's context of " + context
                        + " tokens (" + model.config().file + ")");
            }
        }
        checkFits(rows, promptLen, params.maxNewTokens());
        int[][] newTokens = new int[rows][params.maxNewTokens()];
        float[][] newLogprobs = new float[rows][params.maxNewTokens()];
        int[] length = new int[rows];
        boolean[] ended = new boolean[rows];
        try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
            // Each prompt is prefilled once; its K samples then share that KV cache (copied into
            // K adjacent rows) and its last-position logits. HF expands the prompts K times first.
            int unique = prompts.size();
            long[] ids = new long[unique * promptLen];
            long[] mask = new long[unique * promptLen];
            Arrays.fill(ids, padId);
            for (int r = 0; r < unique; r++) {
                int[] p = prompts.get(r);
                for (int j = 0; j < p.length; j++) {
                    ids[r * promptLen + promptLen - p.length + j] = p[j];
                    mask[r * promptLen + promptLen - p.length + j] = 1;
                }
            }
            var device = model.device();
            Tensor idsT = Torch.longs(ids, unique, promptLen).to(device, ScalarType.Long);
            Tensor maskT = Torch.longs(mask, unique, promptLen).to(device, ScalarType.Long);
            Tensor positions = Positions.fromMask(maskT);
            Kernels.SamplingRows rowParams = rowParams(rows, params, device);
            Tensor eosMask = eosMask(device);
            Tensor ones = torch.ones(new long[] {rows, 1}, Torch.options(ScalarType.Long, device));
            int capacity = promptLen + params.maxNewTokens();
            KvCache cache;
            Tensor logits; // one [rows, V] buffer outlives the per-step scopes; each step's logits are copied in
            Tensor next;
            if (k == 1) {
                cache = model.newCache(rows, capacity);
                logits = model.lastLogits(idsT, positions, maskT, cache).contiguous();
                next = positions.narrow(1, promptLen - 1, 1).add(new Scalar(1));
            } else {
                try (KvCache prefill = model.newCache(unique, promptLen)) {
                    Tensor last = model.lastLogits(idsT, positions, maskT, prefill);
                    cache = prefill.repeatRows(k, capacity);
                    logits = last.repeat_interleave(k, new LongOptional(0), new LongOptional());
                }
                next = positions.narrow(1, promptLen - 1, 1).add(new Scalar(1))
                        .repeat_interleave(k, new LongOptional(0), new LongOptional());
            }
            for (int step = 0; step < params.maxNewTokens(); step++) {
                try (PointerScope stepScope = new PointerScope()) {
                    if (!Finite.all(logits)) {
                        throw new UserError(model.dir() + ": the model's logits hold non-finite values ("
                                + Finite.describe(logits) + ") at new token " + (step + 1) + " although its weights are"
                                + " finite: its activations overflow" + (model.dtype() == ScalarType.Float ? ""
                                : " in " + model.dtype() + " (try float32)") + "; nothing was generated");
                    }
                    if (step < params.minNewTokens() && eosMask != null) {
                        logits.masked_fill_(eosMask, new Scalar(Double.NEGATIVE_INFINITY));
                    }
                    Kernels.Sampled s = kernels.sample(logits, rowParams, params.seed(), step);
                    long[] tok = Torch.toLongs(s.tokens());
                    float[] lp = Torch.toFloats(s.logprobs());
                    boolean allDone = true;
                    for (int r = 0; r < rows; r++) {
                        if (ended[r]) continue;
                        newTokens[r][length[r]] = (int) tok[r];
                        newLogprobs[r][length[r]] = lp[r];
                        length[r]++;
                        if (!params.ignoreEos() && isEos((int) tok[r])) ended[r] = true;
                        allDone &= ended[r];
                    }
                    if (allDone || step == params.maxNewTokens() - 1) break;
                    logits.copy_(model.lastLogits(s.tokens().view(rows, 1), next, ones, cache));
                    next.add_(new Scalar(1));
                }
            }
            cache.close();
        }
        List<Sample> out = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            out.add(new Sample(r / k, r % k, Arrays.copyOf(newTokens[r], length[r]),
                    Arrays.copyOf(newLogprobs[r], length[r]), ended[r]));
        }
        return out;
    }

    /**
     * Refuses a pass of {@code rows} sequences whose KV cache, logits and result arrays would not
     * fit: estimated in 64-bit arithmetic against the machine's memory (CPU) and the Java heap,
     * before anything is allocated. Generation calls it for every pass; callers may call it first.
     */
    public void checkFits(long rows, long promptLen, long maxNew) {
        var c = model.config();
        long es = org.bytedeco.pytorch.global.torch.elementSize(model.dtype());
        double kv = 2.0 * c.layers * rows * c.kvHeads * (promptLen + maxNew) * c.headDim * es;
        double logits = (double) rows * (promptLen + 2) * c.vocabSize * es;
        double host = rows * maxNew * 8.0 + rows * promptLen * 16.0;
        double heap = Runtime.getRuntime().maxMemory();
        String lower = "; lower the batch size, the samples per prompt or the new tokens";
        if (host > heap) {
            throw new UserError(String.format(java.util.Locale.ROOT, "generating %,d sequences of up to %,d new tokens"
                    + " needs %s of Java memory for the results, more than the %s this JVM may use%s", rows, maxNew,
                    gib(host), gib(heap), lower));
        }
        if (!model.device().is_cuda()) {
            double ram = physicalMemory();
            if (ram > 0 && kv + logits + host > ram) {
                throw new UserError(String.format(java.util.Locale.ROOT, "generating %,d sequences of %,d + %,d tokens"
                        + " at once needs about %s (KV cache %s, logits %s), more than this machine's %s of memory%s",
                        rows, promptLen, maxNew, gib(kv + logits + host), gib(kv), gib(logits), gib(ram), lower));
            }
        }
    }

    /** MemTotal from /proc/meminfo in bytes, or −1 where there is none (the check is then skipped). */
    public static double physicalMemory() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024.0;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static String gib(double bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (1L << 30));
    }

    private boolean isEos(int token) {
        for (int e : eosIds) if (e == token) return true;
        return false;
    }

    private Tensor eosMask(org.bytedeco.pytorch.Device device) {
        if (eosIds.length == 0) return null;
        float[] m = new float[model.config().vocabSize];
        for (int e : eosIds) if (e >= 0 && e < m.length) m[e] = 1;
        return Torch.floats(m, 1, m.length).to(device, ScalarType.Bool);
    }

    private static Kernels.SamplingRows rowParams(int rows, SamplingParams p, org.bytedeco.pytorch.Device device) {
        TensorOptions f = Torch.options(ScalarType.Float, device);
        TensorOptions l = Torch.options(ScalarType.Long, device);
        return new Kernels.SamplingRows(
                torch.full(new long[] {rows}, new Scalar(p.temperature()), f),
                torch.full(new long[] {rows}, new Scalar(p.topK()), l),
                torch.full(new long[] {rows}, new Scalar(p.topP()), f),
                torch.full(new long[] {rows}, new Scalar(p.minP()), f));
    }
}

package dev.raftj.train;

import dev.raftj.model.CausalLM;
import dev.raftj.model.Positions;
import dev.raftj.torch.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@link SftLoss#maskedCrossEntropy(CausalLM, Tensor, Tensor, Tensor)} and its backward, with the
 * vocabulary head and cross-entropy done a chunk of label positions at a time, by hand: the
 * [N, V] logits, log-softmax and their gradients never exist whole (at V = 50257 and N = 256, each is
 * 51 MB; a chunk of {@link #DEFAULT_CHUNK_ELEMENTS} logits is 16 MB). Per chunk: logits = rows·Wᵀ,
 * log p = log_softmax, loss −= Σ log p[target]; dlogits = (softmax − onehot)/N;
 * dW += dlogitsᵀ·rows (into the head's gradient, in place); drows = dlogits·W. Then autograd takes
 * drows back through the body (a tied embedding's lookup rows join dW in place, as before).
 */
public final class ChunkedSftLoss {
    /** Logit elements per chunk: 2²² floats = 16 MB, ~83 positions at V = 50257. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 1L << 22;

    private ChunkedSftLoss() {}

    /** Positions per chunk for a vocabulary of {@code vocab}: at least 1. */
    public static long rowsPerChunk(long vocab, long chunkElements) {
        return Math.max(1, chunkElements / vocab);
    }

    /**
     * Computes the mean masked cross-entropy (HF's, as {@link SftLoss}) and accumulates its gradient
     * into the parameters' {@code grad}, like {@code loss.backward()}; returns the loss. A float32
     * head only; other heads, and batches with no label taken (loss NaN), take the autograd path.
     */
    public static double lossAndBackward(CausalLM model, Tensor ids, Tensor keyMask, Tensor labels, long chunkRows) {
        return lossAndBackward(model, ids, keyMask, labels, chunkRows, ids.size(0));
    }

    /**
     * As {@link #lossAndBackward(CausalLM, Tensor, Tensor, Tensor, long)}, with the forward and
     * backward run {@code microRows} rows at a time (gradient accumulation inside one step): every
     * micro-batch's loss is divided by the whole batch's label count, so loss and gradient are the
     * whole batch's mean, while only one micro-batch's activations are alive at once. Rows with no
     * label contribute nothing and are not run.
     */
    public static double lossAndBackward(CausalLM model, Tensor ids, Tensor keyMask, Tensor labels, long chunkRows,
                                         long microRows) {
        if (microRows < 1) throw new IllegalArgumentException("microRows must be positive, got " + microRows);
        long b = ids.size(0), t = ids.size(1);
        long[] lab = Torch.toLongs(labels);
        int[] perRow = new int[(int) b];
        int n = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 1; j < t; j++) if (lab[(int) (i * t + j)] != SftLoss.IGNORE) perRow[i]++;
            n += perRow[i];
        }
        if (n == 0) return autograd(model, ids, keyMask, labels, 1.0); // NaN, as the whole batch's mean
        boolean byHand = Torch.dtype(model.headWeight()) == torch.ScalarType.Float;
        double lossSum = 0;
        for (long s = 0; s < b; s += microRows) {
            long rows = Math.min(microRows, b - s);
            int labelled = 0;
            for (long i = s; i < s + rows; i++) labelled += perRow[(int) i];
            if (labelled == 0) continue;
            try (PointerScope micro = new PointerScope()) {
                Tensor mi = ids.narrow(0, s, rows), mm = keyMask.narrow(0, s, rows);
                lossSum += byHand ? byHand(model, mi, mm, lab, s, labelled, chunkRows, n)
                        : autograd(model, mi, mm, labels.narrow(0, s, rows), (double) labelled / n) * labelled;
            }
        }
        return lossSum / n;
    }

    /**
     * Σ −log p over the labels of the batch's rows [first, first + ids.size(0)), which hold {@code m}
     * of them ({@code lab}: the whole batch's labels, on the host); backpropagates that sum divided by {@code n}.
     */
    private static double byHand(CausalLM model, Tensor ids, Tensor keyMask, long[] lab, long first, int m,
                                 long chunkRows, int n) {
        Tensor w = model.headWeight();
        long b = ids.size(0), t = ids.size(1);
        long[] index = new long[m], target = new long[m];
        for (int i = 0, k = 0; i < b; i++) {
            for (int j = 1; j < t; j++) {
                long y = lab[(int) ((first + i) * t + j)];
                if (y == SftLoss.IGNORE) continue;
                index[k] = i * t + j - 1;
                target[k++] = y;
            }
        }
        var device = ids.device();
        Tensor hidden = model.hidden(ids, Positions.fromMask(keyMask), keyMask, null);
        Tensor rows = hidden.reshape(-1, hidden.size(2))
                .index_select(0, Torch.longs(index, m).to(device, torch.ScalarType.Long)); // [m, d]
        Tensor targets = Torch.longs(target, m).to(device, torch.ScalarType.Long);
        Tensor gradRows, lossSum;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            Tensor x = rows.detach();
            gradRows = torch.zeros_like(x);
            lossSum = torch.zeros(new long[] {}, x.options());
            Tensor gradW = w.requires_grad() ? headGradient(w) : null;
            Scalar invN = new Scalar(1.0 / n);
            for (long s = 0; s < m; s += chunkRows) {
                long c = Math.min(chunkRows, m - s);
                try (PointerScope chunk = new PointerScope()) {
                    Tensor xc = x.narrow(0, s, c), yc = targets.narrow(0, s, c).unsqueeze(1);
                    Tensor logp = torch.log_softmax(torch.linear(xc, w), 1); // [c, V]
                    lossSum.sub_(logp.gather(1, yc).sum());
                    Tensor g = logp.exp_(); // softmax, in the log-probs' buffer
                    g.scatter_add_(1, yc, torch.full(new long[] {c, 1}, new Scalar(-1.0), g.options()));
                    g.mul_(invN);
                    if (gradW != null) gradW.addmm_(g.t(), xc);
                    gradRows.narrow(0, s, c).copy_(g.mm(w));
                }
            }
        }
        rows.backward(gradRows, new BoolOptional(), false, new TensorArrayRefOptional());
        return Torch.item(lossSum);
    }

    /** The head's dense gradient buffer: the existing one, or zeros (set as the weight's grad). */
    private static Tensor headGradient(Tensor w) {
        Tensor g = w.grad();
        if (g.defined() && !g.is_sparse()) return g;
        Tensor dense = torch.zeros_like(w);
        if (g.defined()) dense.add_(g);
        w.mutable_grad().put(dense);
        return dense;
    }

    /** The rows' mean loss by autograd over their full logits; backpropagates it times {@code scale}. */
    private static double autograd(CausalLM model, Tensor ids, Tensor keyMask, Tensor labels, double scale) {
        Tensor loss = SftLoss.maskedCrossEntropy(model, ids, keyMask, labels);
        (scale == 1.0 ? loss : loss.mul(new Scalar(scale))).backward();
        return Torch.item(loss);
    }
}

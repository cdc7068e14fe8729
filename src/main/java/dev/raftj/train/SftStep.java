package dev.raftj.train;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One supervised step on a padded batch: masked next-token cross-entropy, backward, global
 * gradient norm, optional clipping, AdamW. The optimizer state lives here across steps.
 *
 * <p>The forward and backward run in the model's training mode, so the checkpoint's dropout
 * applies; the previous mode (eval, unless the caller changed it) is restored afterwards, even on
 * failure. Dropout draws from LibTorch's default generator, which each step seeds first
 * ({@code torch::manual_seed}, CPU and CUDA), so a step's masks depend only on its seed and never
 * on what ran before in the process: an interrupted and resumed run draws the same masks as an
 * uninterrupted one. Models without dropout leave the generator untouched.
 *
 * <p>A step whose loss or gradient norm is NaN or ±∞ is not applied: it throws a
 * {@link UserError} naming the model and leaves weights and optimizer state as they were.
 */
public final class SftStep implements AutoCloseable {
    private final CausalLM model;
    private final List<Tensor> params;
    private final InPlaceAdamW optimizer;
    private final double clipNorm;
    private long dropoutSeed;
    private GradientSync sync;
    private int microBatchRows;

    /** Loss before the update and the global L2 norm of the gradients (before clipping). */
    public record Result(double loss, double gradNorm) {}

    /**
     * @param clipNorm clip the global gradient norm to this value; 0 or less means no clipping
     */
    public SftStep(CausalLM model, double lr, double beta1, double beta2, double eps, double weightDecay,
                   double clipNorm) {
        this(model, List.of(), lr, beta1, beta2, eps, weightDecay, clipNorm);
    }

    /**
     * AdamW over the model's parameters followed by {@code extra} ones (PPO's critic), one
     * gradient-norm clip over all of them; usual betas (0.9, 0.999), eps 1e-8.
     */
    public SftStep(CausalLM model, List<Tensor> extra, double lr, double weightDecay, double clipNorm) {
        this(model, extra, lr, 0.9, 0.999, 1e-8, weightDecay, clipNorm);
    }

    private SftStep(CausalLM model, List<Tensor> extra, double lr, double beta1, double beta2, double eps,
                    double weightDecay, double clipNorm) {
        this.model = model;
        model.trainable(true);
        List<Tensor> all = new java.util.ArrayList<>(model.trainableParameters());
        for (Tensor t : extra) {
            t.set_requires_grad(true);
            all.add(t);
        }
        this.params = all;
        // LibTorch's AdamW arithmetic without its [param]-sized temporaries (the step's memory peak)
        this.optimizer = new InPlaceAdamW(all, lr, beta1, beta2, eps, weightDecay);
        this.clipNorm = clipNorm;
    }

    /** AdamW with the usual betas (0.9, 0.999), eps 1e-8. */
    public SftStep(CausalLM model, double lr, double weightDecay, double clipNorm) {
        this(model, lr, 0.9, 0.999, 1e-8, weightDecay, clipNorm);
    }

    public CausalLM model() {
        return model;
    }

    public InPlaceAdamW optimizer() {
        return optimizer;
    }

    /** Forgets AdamW's moment estimates (RAFT's "reset optimizer each stage" option). */
    public void resetState() {
        optimizer.resetState();
    }

    public void setLearningRate(double lr) {
        optimizer.setLearningRate(lr);
    }

    /**
     * Data parallelism: gradients (and the reported loss) are averaged over the ranks, weighted by
     * their loss tokens, between backward and clipping; null (the default) trains alone.
     */
    public void setGradientSync(GradientSync sync) {
        this.sync = sync;
    }

    /**
     * Rows per forward and backward inside {@link #step(Tensor, Tensor, Tensor, long)}: the batch's
     * gradients are accumulated over micro-batches of this many rows, each weighted by its share of
     * the batch's loss tokens, so the step is the same (up to float rounding and dropout's draws)
     * with only one micro-batch's activations in memory. 0 (the default) runs the whole batch at once.
     */
    public void setMicroBatchRows(int rows) {
        if (rows < 0) throw new IllegalArgumentException("micro-batch rows must be 0 (whole batch) or positive, got " + rows);
        this.microBatchRows = rows;
    }

    /** See {@link #setMicroBatchRows}: 0 means the whole batch. */
    public int microBatchRows() {
        return microBatchRows;
    }

    /** The run's dropout seed for {@link #step(Tensor, Tensor, Tensor)} (0 until set). */
    public void setDropoutSeed(long seed) {
        this.dropoutSeed = seed;
    }

    public long dropoutSeed() {
        return dropoutSeed;
    }

    /**
     * ids, keyMask, labels: [B, T]; labels −100 where no loss is taken. The dropout masks come
     * from {@link #batchSeed}: the run's dropout seed and this batch's contents, so a resumed run
     * that replays the same batches draws the same masks without any saved state. Callers that
     * know their global step may prefer {@link #step(Tensor, Tensor, Tensor, long)}.
     */
    public Result step(Tensor ids, Tensor keyMask, Tensor labels) {
        long seed = 0;
        if (model.hasDropout()) {
            try (PointerScope scope = new PointerScope()) {
                seed = batchSeed(dropoutSeed, ids, keyMask, labels);
            }
        }
        return step(ids, keyMask, labels, seed);
    }

    /**
     * As {@link #step(Tensor, Tensor, Tensor)}, with LibTorch's generator seeded with {@code stepSeed}
     * before the forward (when the model has dropout): derive it from (run seed, step), e.g.
     * {@code Shuffle.deriveSeed(runSeed, step)}, for masks that depend on nothing else.
     */
    public Result step(Tensor ids, Tensor keyMask, Tensor labels, long stepSeed) {
        boolean wasTraining = model.isTraining();
        try (PointerScope scope = new PointerScope()) {
            if (model.hasDropout()) torch.manual_seed(stepSeed);
            model.setTraining(true);
            optimizer.zeroGrad();
            // head + cross-entropy by chunks of positions: the [N, V] logits never exist whole
            long microRows = microBatchRows > 0 ? microBatchRows : ids.size(0);
            double lossValue = ChunkedSftLoss.lossAndBackward(model, ids, keyMask, labels,
                    ChunkedSftLoss.rowsPerChunk(model.headWeight().size(0), ChunkedSftLoss.DEFAULT_CHUNK_ELEMENTS),
                    microRows);
            SparseGrads.densify(params);
            if (sync != null) lossValue = sync.average(params, lossValue, lossTokens(labels));
            return apply(lossValue);
        } finally {
            model.setTraining(wasTraining);
        }
    }

    /**
     * A data-parallel rank's step on no rows (its shard of a small batch was empty): it contributes
     * nothing but joins the gradient all-reduce and applies the same update as the other ranks.
     */
    public Result idleStep() {
        if (sync == null) throw new IllegalStateException("idleStep needs a gradient sync (data-parallel training)");
        try (PointerScope scope = new PointerScope()) {
            optimizer.zeroGrad();
            return apply(sync.average(params, 0, 0));
        }
    }

    /** Clips and applies the gradients in place, unless the loss or their norm is not finite. */
    private Result apply(double lossValue) {
        double norm = GradNorm.global(params);
        if (!Double.isFinite(lossValue) || !Double.isFinite(norm)) {
            // Never step on a NaN/inf: the weights (and any checkpoint made from them) stay as they were.
            optimizer.zeroGrad();
            throw new UserError(model.dir() + ": training diverged: loss " + lossValue + ", gradient norm " + norm
                    + "; the step was not applied and the weights are unchanged (a lower learning rate or"
                    + " gradient clipping may help)");
        }
        if (clipNorm > 0 && norm > clipNorm) GradNorm.scale(params, clipNorm / (norm + 1e-6));
        optimizer.step();
        return new Result(lossValue, norm);
    }

    /** Labels that take a loss: those ≠ −100 after the one-position shift. */
    private static long lossTokens(Tensor labels) {
        return labels.narrow(1, 1, labels.size(1) - 1).ne(new Scalar(SftLoss.IGNORE)).sum().item_long();
    }

    /**
     * One optimizer step on a loss the caller builds (GRPO, PPO): zero the gradients, build and
     * backpropagate the loss, clip the global gradient norm, AdamW. The model's mode is left as it
     * is (eval: no dropout, so the ratio against the sampling policy starts at exactly 1). Tensors
     * are the caller's to release (call inside its PointerScope).
     */
    public Result step(java.util.function.Supplier<Tensor> loss) {
        return step(loss, 1);
    }

    /**
     * As {@link #step(java.util.function.Supplier)}; data-parallel, this rank's gradients count with
     * {@code weight} in the ranks' mean (its loss tokens for a token mean, its rows for a row mean).
     */
    public Result step(java.util.function.Supplier<Tensor> loss, double weight) {
        optimizer.zeroGrad();
        Tensor l = loss.get();
        l.backward();
        SparseGrads.densify(params);
        if (sync != null) {
            double mean = sync.average(params, Torch.item(l), weight);
            double norm = GradNorm.global(params);
            if (clipNorm > 0 && norm > clipNorm) GradNorm.scale(params, clipNorm / (norm + 1e-6));
            optimizer.step();
            return new Result(mean, norm);
        }
        double norm = GradNorm.global(params);
        if (clipNorm > 0 && norm > clipNorm) GradNorm.scale(params, clipNorm / (norm + 1e-6));
        optimizer.step();
        return new Result(Torch.item(l), norm);
    }

    /** A seed from the run seed and the batch's tokens, mask and labels (copied to the host). */
    public static long batchSeed(long runSeed, Tensor ids, Tensor keyMask, Tensor labels) {
        long h = Shuffle.deriveSeed(runSeed, ids.size(0) * 31 + ids.size(1));
        for (Tensor t : new Tensor[] {ids, keyMask, labels}) {
            for (long v : Torch.toLongs(t)) h = Shuffle.mix(h ^ v);
        }
        return h;
    }

    @Override
    public void close() {
        optimizer.close();
    }
}

package dev.raftj.train;

import dev.raftj.core.UserError;
import dev.raftj.torch.Torch;
import java.util.List;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW with decoupled weight decay, the same operations in the same order as LibTorch's
 * {@code torch::optim::AdamW} (no amsgrad), but with no temporaries: LibTorch computes each
 * parameter's denominator {@code sqrt(v) / sqrt(1 − β2^t) + eps} into two fresh tensors the size
 * of the parameter (308 MB at once for GPT-2's tied [50257 × 768] embedding), on top of the
 * weights, gradients and moments: the peak of a training step. Here the denominator is computed
 * in the parameter's gradient buffer, which the step no longer needs; so <b>after {@link #step}
 * the gradients hold scratch values</b> (read them before; the next step zeroes them anyway).
 *
 * <p>State (moments and per-parameter step count) is created at a parameter's first step with a
 * gradient, like LibTorch's. {@link #save}/{@link #load} use their own archive keys.
 */
public final class InPlaceAdamW implements AutoCloseable {
    private static final String KEY = "raftj_adamw";
    private final List<Tensor> params;
    private final double beta1, beta2, eps, weightDecay;
    private double lr;
    private final Tensor[] expAvg, expAvgSq;
    private final long[] steps;

    public InPlaceAdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this.params = List.copyOf(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.expAvg = new Tensor[params.size()];
        this.expAvgSq = new Tensor[params.size()];
        this.steps = new long[params.size()];
    }

    public List<Tensor> parameters() {
        return params;
    }

    public double learningRate() {
        return lr;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    /** Sets every gradient to none (frees them), as LibTorch's {@code zero_grad()} does by default. */
    public void zeroGrad() {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) p.mutable_grad().put(new Tensor());
        }
    }

    /** One update of every parameter that has a gradient; the gradients are left as scratch. */
    public void step() {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i), grad = p.grad();
                if (!grad.defined()) continue;
                if (grad.is_sparse()) throw new IllegalStateException("AdamW: parameter " + i + " has a sparse gradient");
                if (weightDecay != 0) p.mul_(new Scalar(1 - lr * weightDecay));
                if (expAvg[i] == null) {
                    expAvg[i] = owned(torch.zeros_like(p));
                    expAvgSq[i] = owned(torch.zeros_like(p));
                }
                long t = ++steps[i];
                double biasCorrection1 = 1 - Math.pow(beta1, t), biasCorrection2 = 1 - Math.pow(beta2, t);
                expAvg[i].mul_(new Scalar(beta1)).add_(grad, new Scalar(1 - beta1));
                expAvgSq[i].mul_(new Scalar(beta2)).addcmul_(grad, grad, new Scalar(1 - beta2));
                Tensor denom = grad.copy_(expAvgSq[i]).sqrt_().div_(new Scalar(Math.sqrt(biasCorrection2)))
                        .add_(new Scalar(eps));
                p.addcdiv_(expAvg[i], denom, new Scalar(-(lr / biasCorrection1)));
            }
        }
    }

    /** Forgets the moments and step counts (a fresh optimizer over the same parameters). */
    public void resetState() {
        for (int i = 0; i < params.size(); i++) {
            release(expAvg[i]);
            release(expAvgSq[i]);
            expAvg[i] = null;
            expAvgSq[i] = null;
            steps[i] = 0;
        }
    }

    /** Writes the moments and step counts of the parameters that have them, by parameter index. */
    public void save(OutputArchive out) {
        out.write(KEY + ".count", Torch.longs(new long[] {params.size()}, 1));
        for (int i = 0; i < params.size(); i++) {
            if (expAvg[i] == null) continue;
            out.write(KEY + "." + i + ".step", Torch.longs(new long[] {steps[i]}, 1));
            out.write(KEY + "." + i + ".exp_avg", expAvg[i]);
            out.write(KEY + "." + i + ".exp_avg_sq", expAvgSq[i]);
        }
    }

    /** Restores what {@link #save} wrote for the same parameter list. */
    public void load(InputArchive in) {
        Tensor count = new Tensor();
        if (!in.try_read(KEY + ".count", count)) {
            throw new UserError("optimizer.pt holds no raftj AdamW state (a checkpoint of an older raftj, which"
                    + " stored LibTorch's AdamW); resume it with sft.reset_optimizer: true");
        }
        if (count.item_long() != params.size()) {
            throw new UserError("optimizer.pt holds AdamW state for " + count.item_long() + " parameters, this model has "
                    + params.size());
        }
        resetState();
        for (int i = 0; i < params.size(); i++) {
            Tensor step = new Tensor(), m = new Tensor(), v = new Tensor();
            if (!in.try_read(KEY + "." + i + ".step", step)) continue;
            in.read(KEY + "." + i + ".exp_avg", m);
            in.read(KEY + "." + i + ".exp_avg_sq", v);
            long[] want = Torch.shape(params.get(i));
            if (!java.util.Arrays.equals(want, Torch.shape(m)) || !java.util.Arrays.equals(want, Torch.shape(v))) {
                throw new UserError("optimizer.pt: the AdamW state of parameter " + i + " has shape "
                        + java.util.Arrays.toString(Torch.shape(m)) + ", the parameter " + java.util.Arrays.toString(want));
            }
            steps[i] = step.item_long();
            expAvg[i] = owned(m.to(params.get(i).device(), params.get(i).scalar_type()));
            expAvgSq[i] = owned(v.to(params.get(i).device(), params.get(i).scalar_type()));
        }
    }

    /** Bytes of state held (moments of every parameter that has stepped). */
    public long stateBytes() {
        long b = 0;
        for (int i = 0; i < params.size(); i++) {
            if (expAvg[i] != null) b += 2 * expAvg[i].numel() * expAvg[i].element_size();
        }
        return b;
    }

    /** Kept across the callers' PointerScopes: freed by {@link #resetState} or {@link #close}. */
    private static Tensor owned(Tensor t) {
        t.retainReference();
        return t;
    }

    private static void release(Tensor t) {
        if (t != null) t.releaseReference();
    }

    @Override
    public void close() {
        resetState();
    }
}

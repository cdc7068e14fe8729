package dev.raftj.train;

import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * One supervised step on a padded batch: masked next-token cross-entropy, backward, global
 * gradient norm, optional clipping, AdamW. The optimizer state lives here across steps.
 */
public final class SftStep implements AutoCloseable {
    private final CausalLM model;
    private final List<Tensor> params;
    private final AdamWOptions options;
    private AdamW optimizer;
    private final double clipNorm;

    /** Loss before the update and the global L2 norm of the gradients (before clipping). */
    public record Result(double loss, double gradNorm) {}

    /**
     * @param clipNorm clip the global gradient norm to this value; 0 or less means no clipping
     */
    public SftStep(CausalLM model, double lr, double beta1, double beta2, double eps, double weightDecay,
                   double clipNorm) {
        this.model = model;
        model.trainable(true);
        this.params = model.parameters();
        this.options = new AdamWOptions(lr);
        // betas() points at a std::tuple<double, double>; libstdc++ lays its elements out in
        // reverse, so beta2 goes first in memory (a two-step test pins this down).
        options.betas().put(0, beta2).put(1, beta1);
        options.eps().put(eps);
        options.weight_decay().put(weightDecay);
        this.optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options);
        this.clipNorm = clipNorm;
    }

    /** AdamW with the usual betas (0.9, 0.999), eps 1e-8. */
    public SftStep(CausalLM model, double lr, double weightDecay, double clipNorm) {
        this(model, lr, 0.9, 0.999, 1e-8, weightDecay, clipNorm);
    }

    public CausalLM model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Forgets AdamW's moment estimates (RAFT's "reset optimizer each stage" option). */
    public void resetState() {
        optimizer.close();
        optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options);
    }

    public void setLearningRate(double lr) {
        // The param group holds its own copy of the options.
        var groups = optimizer.param_groups();
        for (long i = 0; i < groups.size(); i++) {
            groups.get(i).options().set_lr(lr);
        }
    }

    /** ids, keyMask, labels: [B, T]; labels −100 where no loss is taken. */
    public Result step(Tensor ids, Tensor keyMask, Tensor labels) {
        try (PointerScope scope = new PointerScope()) {
            optimizer.zero_grad();
            Tensor loss = SftLoss.maskedCrossEntropy(model.logits(ids, keyMask), labels);
            loss.backward();
            double norm = GradNorm.global(params);
            if (clipNorm > 0 && norm > clipNorm) GradNorm.scale(params, clipNorm / (norm + 1e-6));
            optimizer.step();
            return new Result(Torch.item(loss), norm);
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }
}

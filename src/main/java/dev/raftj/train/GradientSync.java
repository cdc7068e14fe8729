package dev.raftj.train;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Makes the gradients of data-parallel replicas one: called by {@link SftStep} between backward
 * and the gradient norm, so that clipping and AdamW see the same gradients on every process.
 */
public interface GradientSync {
    /**
     * Replaces every parameter's gradient by the {@code weight}-weighted mean of the ranks'
     * gradients (in place) and returns the weighted mean of their {@code loss}: with the number of
     * loss tokens as weight, the gradient and loss of the whole batch's token mean.
     */
    double average(List<Tensor> params, double loss, double weight);
}

package dev.raftj.model;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Something added to a model's linear projections (a LoRA adapter): given a projection's input
 * and the frozen weight's output, it returns the output the model uses. Module names are the
 * Hugging Face module paths of the loaded architecture ({@code transformer.h.0.attn.c_attn},
 * {@code model.layers.0.self_attn.q_proj}), whatever prefix the checkpoint file stores.
 */
public interface ProjectionAdapter {
    /**
     * @param module   the projection's module path
     * @param input    its input [..., in]
     * @param output   the frozen projection's output [..., out]
     * @param training whether the model is in training mode (dropout applies)
     */
    Tensor adapt(String module, Tensor input, Tensor output, boolean training);

    /** The adapter's trainable tensors, in a fixed order (the optimizer's parameter list). */
    List<Tensor> parameters();

    /** True when training mode would drop anything on the adapter's path. */
    boolean hasDropout();
}

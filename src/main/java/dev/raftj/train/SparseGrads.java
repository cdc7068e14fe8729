package dev.raftj.train;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * A tied token embedding gets a sparse gradient from its lookup ({@code Backbone.sparseTokenGradient});
 * autograd folds it into the LM head's dense gradient when the loss passes through the head. A loss
 * that never reaches the head leaves the sparse gradient as the weight's own, which clipping and
 * AdamW do not take: this turns such gradients dense, once, after backward.
 */
final class SparseGrads {
    private SparseGrads() {}

    static void densify(List<Tensor> params) {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined() && g.is_sparse()) p.mutable_grad().put(g.to_dense());
        }
    }
}

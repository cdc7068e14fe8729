package dev.raftj.train;

import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** The global L2 norm of all gradients, and in-place scaling for clipping. */
public final class GradNorm {
    private GradNorm() {}

    public static double global(List<Tensor> params) {
        double sum = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (!g.defined()) continue;
            double n = g.norm().item_double();
            sum += n * n;
        }
        return Math.sqrt(sum);
    }

    public static void scale(List<Tensor> params, double factor) {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) g.mul_(new Scalar(factor));
        }
    }
}

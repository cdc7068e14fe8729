package dev.raftj.dist;

import dev.raftj.core.UserError;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel replicas must hold the same weights after every update: a fingerprint of the
 * parameters (their sum and sum of squares in float64, taken parameter by parameter) is
 * all-gathered and compared bit for bit, and a difference stops the run instead of letting
 * the ranks train different models.
 */
public final class Replicas {
    private Replicas() {}

    /** The fingerprint of {@code params}, after checking that every rank has the same one. */
    public static String verifyIdentical(World world, List<Tensor> params, String when) {
        double[] mine = fingerprint(params);
        double[] all = world.allGather(mine);
        for (int r = 1; r < all.length / 2; r++) {
            if (all[2 * r] != all[0] || all[2 * r + 1] != all[1]) {
                throw new UserError("rank " + r + " of " + world.size() + " holds other weights than rank 0 " + when
                        + " (fingerprint " + format(all[2 * r], all[2 * r + 1]) + " vs " + format(all[0], all[1])
                        + "): the replicas diverged");
            }
        }
        return format(mine[0], mine[1]);
    }

    /** Σ over parameters of (sum of the values, sum of their squares), each in float64. */
    static double[] fingerprint(List<Tensor> params) {
        double sum = 0, squares = 0;
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor d = p.detach().to(torch.ScalarType.Double);
                sum += d.sum().item_double();
                squares += d.mul(d).sum().item_double();
            }
        }
        return new double[] {sum, squares};
    }

    static String format(double sum, double squares) {
        return String.format(Locale.ROOT, "%016x/%016x", Double.doubleToLongBits(sum), Double.doubleToLongBits(squares));
    }
}

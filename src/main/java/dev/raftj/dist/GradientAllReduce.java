package dev.raftj.dist;

import dev.raftj.train.GradientSync;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel gradients without DDP (C++ has none): each rank scales its gradients by its weight
 * (loss tokens), the gradients are flattened into buckets of at most {@link #BUCKET_ELEMENTS}
 * floats, each bucket is summed over the ranks in one all-reduce and divided by the summed weight,
 * and copied back. A rank without gradients (no rows in this step) takes part with zeros.
 */
public final class GradientAllReduce implements GradientSync {
    /** 25 MB of float32, DDP's default bucket size. */
    public static final long BUCKET_ELEMENTS = 25L * 1024 * 1024 / 4;

    private final World world;

    public GradientAllReduce(World world) {
        this.world = world;
    }

    @Override
    public double average(List<Tensor> params, double loss, double weight) {
        double[] totals = world.allReduceSum(new double[] {weight, weight == 0 ? 0 : loss * weight});
        double total = totals[0];
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            if (total == 0) { // no rank had a loss token: no gradient anywhere (every rank sees the same total)
                for (Tensor p : params) {
                    if (p.grad().defined()) p.grad().zero_();
                    else p.mutable_grad().put(torch.zeros_like(p)); // as below: the same AdamW state on every rank
                }
                return 0;
            }
            List<Tensor> grads = new ArrayList<>(params.size());
            long[] numels = new long[params.size()];
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (!p.grad().defined()) p.mutable_grad().put(torch.zeros_like(p));
                grads.add(p.grad());
                numels[i] = p.numel();
            }
            for (int[] b : Shards.buckets(numels, BUCKET_ELEMENTS)) {
                TensorVector parts = new TensorVector();
                for (int i = b[0]; i < b[1]; i++) parts.push_back(grads.get(i).reshape(-1));
                Tensor flat = torch.cat(parts);
                flat.mul_(new Scalar(weight));
                world.allReduceSum(flat);
                flat.div_(new Scalar(total));
                long at = 0;
                for (int i = b[0]; i < b[1]; i++) {
                    Tensor g = grads.get(i);
                    g.copy_(flat.narrow(0, at, numels[i]).view_as(g));
                    at += numels[i];
                }
            }
        }
        return totals[1] / total;
    }
}

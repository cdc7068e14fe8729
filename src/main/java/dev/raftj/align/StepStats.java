package dev.raftj.align;

import dev.raftj.dist.World;
import java.util.ArrayList;
import java.util.List;

/**
 * Per optimizer step statistics of a policy update (clip fraction, approximate KL, ...), each
 * rank's taken over its own rows: data-parallel, a step's figure is the ranks' figures weighted by
 * their loss tokens (what one process would report for the whole minibatch), and the stage's
 * figure is the mean over steps. One all-reduce at the end of the update.
 */
final class StepStats {
    private final int width;
    private final List<double[]> steps = new ArrayList<>();

    StepStats(int width) {
        this.width = width;
    }

    /** One step's figures over this rank's rows and their weight (0 for a rank without rows). */
    void add(double[] figures, double weight) {
        double[] row = new double[width + 1];
        for (int i = 0; i < width; i++) row[i] = weight == 0 ? 0 : figures[i] * weight;
        row[width] = weight;
        steps.add(row);
    }

    /** The mean over steps of each figure; NaN without steps. */
    double[] means(World world) {
        if (steps.isEmpty()) { // no rows on any rank (every reward failed): the same on every rank
            double[] none = new double[width];
            java.util.Arrays.fill(none, Double.NaN);
            return none;
        }
        double[] flat = new double[steps.size() * (width + 1)];
        for (int s = 0; s < steps.size(); s++) System.arraycopy(steps.get(s), 0, flat, s * (width + 1), width + 1);
        double[] sums = world.allReduceSum(flat);
        double[] out = new double[width];
        for (int s = 0; s < steps.size(); s++) {
            double w = sums[s * (width + 1) + width];
            for (int i = 0; i < width; i++) out[i] += w == 0 ? 0 : sums[s * (width + 1) + i] / w;
        }
        for (int i = 0; i < width; i++) out[i] /= steps.size();
        return out;
    }
}

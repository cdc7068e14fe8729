package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel statistics from all-reduced sums: two "ranks" holding unequal, ragged parts of a
 * rollout, each summing its (count, Σx, Σx², …) with the other's, get what the direct computation
 * over the whole rollout gives; a rank using its own sums alone does not.
 */
class AdvantagesFromSumsTest {
    private static final double[][] A = {{0.3, -1.2, 2.5}, {4.0}, {}, {-0.7, 0.1}};
    private static final double[][] B = {{1.9, 1.9, -3.3, 0.0}, {5.5}};
    private static final double[][] VA = {{0.1, -1.0, 2.0}, {3.0}, {}, {-0.5, 0.4}};
    private static final double[][] VB = {{1.0, 2.2, -2.0, 0.3}, {4.0}};

    private static double[][] concat(double[][] x, double[][] y) {
        List<double[]> all = new ArrayList<>(Arrays.asList(x));
        all.addAll(Arrays.asList(y));
        return all.toArray(new double[0][]);
    }

    /** What {@code f} hands its all-reduce on one rank: that rank's contribution. */
    private static double[] contribution(Function<UnaryOperator<double[]>, ?> f) {
        double[][] seen = new double[1][];
        f.apply(v -> {
            seen[0] = v.clone();
            return v;
        });
        return seen[0];
    }

    /** An all-reduce of two ranks, seen from the rank whose partner contributes {@code other}. */
    private static UnaryOperator<double[]> withPartner(double[] other) {
        return v -> {
            double[] s = v.clone();
            for (int i = 0; i < s.length; i++) s[i] += other[i];
            return s;
        };
    }

    @Test
    void whiteningFromSummedMomentsEqualsWhiteningTheWholeRollout() {
        double[][] direct = Advantages.whiten(concat(A, B), true);
        double[] fromA = contribution(r -> Advantages.whiten(A, true, r)), fromB = contribution(r -> Advantages.whiten(B, true, r));
        double[][] shards = concat(Advantages.whiten(A, true, withPartner(fromB)), Advantages.whiten(B, true, withPartner(fromA)));
        for (int i = 0; i < direct.length; i++) {
            for (int t = 0; t < direct[i].length; t++) assertEquals(direct[i][t], shards[i][t], 1e-12, "row " + i + " token " + t);
        }
        double[][] keepMean = Advantages.whiten(concat(A, B), false);
        assertEquals(keepMean[0][0], Advantages.whiten(A, false, withPartner(fromB))[0][0], 1e-12);
        // the rank's own moments alone whiten differently: the sums must travel
        double[][] alone = Advantages.whiten(A, true, v -> v);
        double worst = 0;
        for (int i = 0; i < A.length; i++) for (int t = 0; t < A[i].length; t++) worst = Math.max(worst, Math.abs(direct[i][t] - alone[i][t]));
        assertTrue(worst > 0.05, "one rank's own moments: " + worst);
    }

    @Test
    void grpoBatchScalingUsesTheWholeBatchsStandardDeviation() {
        double[] ra = {1, 0, 0, 1, 1, 1}, rb = {0, 0, 3, 0};
        boolean[] va = {true, true, true, true, true, true}, vb = {true, false, true, true};
        double[] direct = Advantages.groupAdvantages(concat(ra, rb), concat(va, vb), 2, Advantages.Scale.BATCH);
        double[] fromB = contribution(x -> Advantages.groupAdvantages(rb, vb, 2, Advantages.Scale.BATCH, x));
        double[] a = Advantages.groupAdvantages(ra, va, 2, Advantages.Scale.BATCH, withPartner(fromB));
        for (int i = 0; i < a.length; i++) assertEquals(direct[i], a[i], 1e-12, "sample " + i);
        assertTrue(Math.abs(direct[0] - Advantages.groupAdvantages(ra, va, 2, Advantages.Scale.BATCH)[0]) > 0.05,
                "one rank's own batch differs");
        assertEquals(Advantages.groupAdvantages(ra, va, 2, Advantages.Scale.GROUP)[0],
                Advantages.groupAdvantages(ra, va, 2, Advantages.Scale.GROUP, v -> { throw new AssertionError("group scaling is local"); })[0]);
    }

    private static double[] concat(double[] x, double[] y) {
        double[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private static boolean[] concat(boolean[] x, boolean[] y) {
        boolean[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    @Test
    void explainedVarianceTokenMeanAndRowMeansFromSumsEqualTheDirectFigures() {
        double[][] v = concat(VA, VB), r = concat(A, B);
        double direct = Advantages.explainedVariance(v, r);
        double[] ea = contribution(x -> Advantages.explainedVariance(VA, A, x)), eb = contribution(x -> Advantages.explainedVariance(VB, B, x));
        assertEquals(direct, Advantages.explainedVariance(VA, A, withPartner(eb)), 1e-12);
        assertEquals(direct, Advantages.explainedVariance(VB, B, withPartner(ea)), 1e-12);
        assertTrue(Math.abs(direct - Advantages.explainedVariance(VA, A, x -> x)) > 0.01, "one rank's own figure differs");

        double[] ta = contribution(x -> Advantages.tokenMean(A, x)), tb = contribution(x -> Advantages.tokenMean(B, x));
        assertEquals(Advantages.tokenMean(r), Advantages.tokenMean(A, withPartner(tb)), 1e-12);
        assertEquals(Advantages.tokenMean(r), Advantages.tokenMean(B, withPartner(ta)), 1e-12);

        double[] ma = contribution(x -> Advantages.meanOfRowMeans(A, x)), mb = contribution(x -> Advantages.meanOfRowMeans(B, x));
        double[] both = Advantages.meanOfRowMeans(B, withPartner(ma));
        assertEquals(Advantages.meanOfRowMeans(r), both[0], 1e-12);
        assertEquals(5, both[1], "rows with tokens, on both ranks");
        assertEquals(both[0], Advantages.meanOfRowMeans(A, withPartner(mb))[0], 1e-12);
    }
}

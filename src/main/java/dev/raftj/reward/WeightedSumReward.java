package dev.raftj.reward;

import java.util.List;

/**
 * Σ wᵢ·rᵢ over several rewards. Weights must be finite. A component's −∞ (a sample its filter
 * rejected) makes the sum −∞ whatever the weight's sign, so a filter inside a sum still filters;
 * NaN or +∞ from a component propagates to the sum for {@link RewardGuard} to catch.
 */
public final class WeightedSumReward implements Reward {

    /** One term of the sum. */
    public record Term(Reward reward, double weight) {
        public Term {
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("weight of " + reward.name() + " must be finite, got " + weight);
            }
        }
    }

    private final List<Term> terms;

    public WeightedSumReward(List<Term> terms) {
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a weighted sum needs at least one reward");
        }
        this.terms = List.copyOf(terms);
    }

    /** {@code of(term(a, 2.0), term(b, 0.5))} is 2·a + 0.5·b. */
    public static WeightedSumReward of(Term... terms) {
        return new WeightedSumReward(List.of(terms));
    }

    public static Term term(Reward reward, double weight) {
        return new Term(reward, weight);
    }

    public List<Term> terms() {
        return terms;
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] sum = new double[prompts.size()];
        for (Term term : terms) {
            double[] part = term.reward().score(prompts, responses);
            if (part.length != sum.length) {
                throw new IllegalStateException(term.reward().name() + " returned " + part.length
                        + " scores for " + sum.length + " samples");
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] = addTerm(sum[i], term.weight(), part[i]);
            }
        }
        return sum;
    }

    /** acc + weight·value, except that a −∞ value (filtered) or accumulator stays −∞. */
    public static double addTerm(double acc, double weight, double value) {
        if (acc == Double.NEGATIVE_INFINITY || value == Double.NEGATIVE_INFINITY) {
            return Double.NEGATIVE_INFINITY;
        }
        return acc + weight * value;
    }

    @Override
    public boolean filters() {
        return terms.stream().anyMatch(t -> t.reward().filters());
    }

    @Override
    public String name() {
        StringBuilder sb = new StringBuilder("sum(");
        for (int i = 0; i < terms.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(terms.get(i).weight()).append('*').append(terms.get(i).reward().name());
        }
        return sb.append(')').toString();
    }
}

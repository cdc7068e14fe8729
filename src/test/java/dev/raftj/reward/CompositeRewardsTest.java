package dev.raftj.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompositeRewardsTest {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    /** Scores a response by its length and records what it was asked to score. */
    static final class Recording implements Reward {
        final List<String> seen = new ArrayList<>();

        @Override
        public double[] score(List<String> prompts, List<String> responses) {
            seen.addAll(responses);
            return responses.stream().mapToDouble(String::length).toArray();
        }
    }

    @Test
    void weightedSumAddsWeightedTerms() {
        Reward ones = (p, r) -> new double[] {1, 1};
        Reward lengths = (p, r) -> r.stream().mapToDouble(String::length).toArray();
        // 2*1 + 0.5*len: "ab" -> 3, "abcd" -> 4
        WeightedSumReward sum = WeightedSumReward.of(WeightedSumReward.term(ones, 2.0), WeightedSumReward.term(lengths, 0.5));
        assertArrayEquals(new double[] {3.0, 4.0}, sum.score(List.of("p", "p"), List.of("ab", "abcd")));
        assertFalse(sum.filters());
    }

    @Test
    void weightedSumKeepsFilteredMinusInfinityWhateverTheWeight() {
        assertEquals(NEG_INF, WeightedSumReward.addTerm(0.0, -1.0, NEG_INF));
        assertEquals(NEG_INF, WeightedSumReward.addTerm(0.0, 0.0, NEG_INF));
        assertEquals(NEG_INF, WeightedSumReward.addTerm(NEG_INF, 1.0, 5.0));
        assertEquals(2.5, WeightedSumReward.addTerm(1.0, 0.5, 3.0));
        assertThrows(IllegalArgumentException.class, () -> new WeightedSumReward.Term(new Recording(), Double.NaN));
    }

    @Test
    void filterGivesMinusInfinityToShortOrBannedAndSkipsThemInInnerReward() {
        Recording inner = new Recording();
        FilteredReward filtered = new FilteredReward(inner, 3, List.of("<|endoftext|>", "http"));
        double[] s = filtered.score(List.of("p", "p", "p", "p"),
                List.of("ab", "abcde", "see http://x", "fine <|endoftext|>"));
        assertArrayEquals(new double[] {NEG_INF, 5.0, NEG_INF, NEG_INF}, s);
        assertEquals(List.of("abcde"), inner.seen); // degenerate samples never reach the inner reward
        assertTrue(filtered.filters());
    }

    @Test
    void filterWithTokenLengthAndAllDegenerate() {
        Recording inner = new Recording();
        FilteredReward byWords = new FilteredReward(inner, 2, r -> r.isBlank() ? 0 : r.trim().split("\\s+").length,
                List.of());
        assertArrayEquals(new double[] {NEG_INF, NEG_INF}, byWords.score(List.of("p", "p"), List.of("one", "")));
        assertTrue(inner.seen.isEmpty());
        assertTrue(FilteredReward.isDegenerate("x", 2, String::length, List.of()));
        assertFalse(FilteredReward.isDegenerate("xy", 2, String::length, List.of()));
    }

    @Test
    void filterInsideWeightedSumStillFilters() {
        FilteredReward filtered = new FilteredReward(new Recording(), 3, List.of());
        WeightedSumReward sum = WeightedSumReward.of(WeightedSumReward.term(filtered, -1.0), WeightedSumReward.term(new Recording(), 1.0));
        // "ab": filtered -> -inf; "abcd": -1*4 + 4 = 0
        assertArrayEquals(new double[] {NEG_INF, 0.0}, sum.score(List.of("p", "p"), List.of("ab", "abcd")));
        assertTrue(sum.filters());
    }
}

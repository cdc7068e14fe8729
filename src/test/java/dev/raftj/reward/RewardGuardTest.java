package dev.raftj.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

class RewardGuardTest {

    private static final List<String> PROMPTS = List.of("p0", "p1", "p2", "p3");

    /** Returns fixed values. */
    private static Reward fixed(String name, double... values) {
        return new Reward() {
            @Override
            public double[] score(List<String> prompts, List<String> responses) {
                return values.clone();
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /** Throws on the response "bad", scores others 1.0. */
    private static final Reward THROWS_ON_BAD = new Reward() {
        @Override
        public double[] score(List<String> prompts, List<String> responses) {
            double[] s = new double[responses.size()];
            for (int i = 0; i < s.length; i++) {
                if (responses.get(i).equals("bad")) {
                    throw new IllegalStateException("cannot score 'bad'");
                }
                s[i] = 1.0;
            }
            return s;
        }

        @Override
        public String name() {
            return "picky";
        }
    };

    @Test
    void finiteRewardsPassThrough() {
        Scored s = new RewardGuard(fixed("r", 0.5, -1, 2, 0), OnError.FAIL).score(PROMPTS, PROMPTS);
        assertArrayEquals(new double[] {0.5, -1, 2, 0}, s.rewards());
        assertArrayEquals(new boolean[] {true, true, true, true}, s.valid());
        assertEquals(0, s.dropped());
        assertEquals(0.375, s.meanValid());
    }

    @Test
    void dropMasksNanAndInfinitiesAndCountsThem() {
        Reward r = fixed("r", 1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        Scored s = new RewardGuard(r, OnError.DROP).score(PROMPTS, PROMPTS);
        assertArrayEquals(new boolean[] {true, false, false, false}, s.valid());
        assertEquals(3, s.dropped()); // the reward does not filter, so its -inf is an error too
        assertEquals(0, s.filtered());
        assertEquals(1, s.validCount());
        assertEquals(1.0, s.meanValid());
    }

    @Test
    void filtersMinusInfinityIsFilteredNotDropped() {
        Reward r = new FilteredReward(fixed("r", 3.0, Double.NaN), 2, List.of());
        // response "x" is too short -> -inf (filtered); the other two go to the inner reward
        Scored s = new RewardGuard(r, OnError.DROP).score(List.of("a", "b", "c"), List.of("x", "long", "longer"));
        assertArrayEquals(new boolean[] {false, true, false}, s.valid());
        assertEquals(1, s.filtered());
        assertEquals(1, s.dropped());
        assertEquals(Double.NEGATIVE_INFINITY, s.rewards()[0]);
    }

    @Test
    void failNamesRewardSampleAndValue() {
        RewardError e = assertThrows(RewardError.class, () ->
                new RewardGuard(fixed("rm", 1.0, 2.0, Double.NaN, 0.0), OnError.FAIL).score(PROMPTS, PROMPTS));
        assertInstanceOf(UserError.class, e);
        assertEquals("rm", e.rewardName());
        assertEquals(2, e.sampleIndex());
        assertTrue(e.getMessage().contains("reward 'rm' returned NaN for sample 2 of 4"), e.getMessage());
    }

    @Test
    void throwingRewardIsRescoredOneByOneUnderDrop() {
        Scored s = new RewardGuard(THROWS_ON_BAD, OnError.DROP)
                .score(PROMPTS, List.of("ok", "bad", "ok", "bad"));
        assertArrayEquals(new boolean[] {true, false, true, false}, s.valid());
        assertEquals(2, s.dropped());
        assertEquals(1.0, s.rewards()[2]);
        assertTrue(Double.isNaN(s.rewards()[1]));
    }

    @Test
    void throwingRewardUnderFailNamesTheFirstFailingSample() {
        RewardError e = assertThrows(RewardError.class, () -> new RewardGuard(THROWS_ON_BAD, OnError.FAIL)
                .score(PROMPTS, List.of("ok", "ok", "bad", "bad")));
        assertEquals(2, e.sampleIndex());
        assertTrue(e.getMessage().contains("reward 'picky' failed on sample 2 of 4"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot score 'bad'"), e.getMessage());
    }

    @Test
    void wrongNumberOfScoresIsAnError() {
        RewardError e = assertThrows(RewardError.class,
                () -> new RewardGuard(fixed("short", 1.0), OnError.DROP).score(PROMPTS, PROMPTS));
        assertTrue(e.getMessage().contains("returned 1 scores for 4 samples"), e.getMessage());
    }

    @Test
    void guardDoesNotAliasTheRewardsArray() {
        double[] shared = {1.0, Double.NaN};
        Reward r = (p, resp) -> shared;
        new RewardGuard(r, OnError.DROP).score(List.of("a", "b"), List.of("a", "b"));
        assertTrue(Double.isNaN(shared[1]));
        assertEquals(1.0, shared[0]);
    }
}

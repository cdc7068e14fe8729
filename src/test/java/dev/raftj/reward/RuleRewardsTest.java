package dev.raftj.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RuleRewardsTest {

    @Test
    void extractAnswerTakesFirstTokenWithoutTrailingPunctuation() {
        assertEquals("42", ExactAnswerReward.extractAnswer("  42.\nBecause 40+2"));
        assertEquals("42", ExactAnswerReward.extractAnswer("42 is the answer"));
        assertEquals("-7", ExactAnswerReward.extractAnswer("\t-7!"));
        assertEquals("", ExactAnswerReward.extractAnswer("   \n"));
        assertEquals("", ExactAnswerReward.extractAnswer(""));
    }

    @Test
    void matchesComparesNumbersNumericallyAndTextExactly() {
        assertTrue(ExactAnswerReward.matches("42.0", "42"));
        assertTrue(ExactAnswerReward.matches("+42", "42"));
        assertFalse(ExactAnswerReward.matches("43", "42"));
        assertTrue(ExactAnswerReward.matches("Paris", "Paris"));
        assertFalse(ExactAnswerReward.matches("paris", "Paris"));
        assertFalse(ExactAnswerReward.matches("", ""));
    }

    @Test
    void exactAnswerScoresAgainstComputedAnswer() {
        // expected answer of "a+b=" computed from the prompt
        Reward reward = new ExactAnswerReward(p -> {
            String[] ab = p.replace("=", "").split("\\+");
            return String.valueOf(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]));
        });
        double[] s = reward.score(List.of("2+3=", "2+3=", "10+5="), List.of("5", " 6\n", "15 apples"));
        assertArrayEquals(new double[] {1.0, 0.0, 1.0}, s);
    }

    @Test
    void exactAnswerFromMapThrowsForUnknownPrompt() {
        Reward reward = ExactAnswerReward.fromMap(Map.of("q1", "7"));
        assertArrayEquals(new double[] {1.0}, reward.score(List.of("q1"), List.of("7")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> reward.score(List.of("q2"), List.of("7")));
        assertTrue(e.getMessage().contains("\"q2\""), e.getMessage());
    }

    @Test
    void regexRewardUsesFindAndConfigurableValues() {
        assertArrayEquals(new double[] {1.0, 0.0},
                new RegexReward("\\d+").score(List.of("p", "p"), List.of("abc 12", "abc")));
        RegexReward penalty = new RegexReward(Pattern.compile("sorry", Pattern.CASE_INSENSITIVE), -1.0, 0.5);
        assertArrayEquals(new double[] {-1.0, 0.5}, penalty.score(List.of("p", "p"), List.of("Sorry!", "ok")));
    }

    @Test
    void lengthRewardTowardsTarget() {
        // target 4: len 4 -> 0, len 2 -> -0.5, len 8 -> -1, len 0 -> -1
        assertEquals(0.0, LengthReward.targetScore(4, 4));
        assertEquals(-0.5, LengthReward.targetScore(2, 4));
        assertEquals(-1.0, LengthReward.targetScore(8, 4));
        double[] s = LengthReward.towardsTarget(4).score(List.of("p", "p", "p"), List.of("abcd", "ab", ""));
        assertArrayEquals(new double[] {0.0, -0.5, -1.0}, s);
        assertThrows(IllegalArgumentException.class, () -> LengthReward.towardsTarget(0));
    }

    @Test
    void lengthRewardLinearCountsCodePoints() {
        // "é😀" is 2 code points (3 UTF-16 chars)
        double[] s = LengthReward.linear(0.5).score(List.of("p", "p"), List.of("é😀", "abcd"));
        assertArrayEquals(new double[] {1.0, 2.0}, s);
        double[] tokens = LengthReward.linear(1.0, r -> r.split(" ").length).score(List.of("p"), List.of("a b c"));
        assertArrayEquals(new double[] {3.0}, tokens);
    }

    @Test
    void mismatchedListsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new RegexReward("a").score(List.of("p"), List.of("a", "b")));
    }
}

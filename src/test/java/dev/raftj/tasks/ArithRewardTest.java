package dev.raftj.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.raftj.data.BpeTokenizer;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arith reward on hand-written responses. */
class ArithRewardTest {
    final ArithReward reward = new ArithReward();

    private double score(String prompt, String response) {
        return reward.score(List.of(prompt), List.of(response))[0];
    }

    @Test
    void handWrittenResponses() {
        assertEquals(1.0, score("12+35=", "47"));
        assertEquals(1.0, score("12+35=", "47<|endoftext|>"), "EOS marker ends the answer");
        assertEquals(1.0, score("12+35=", "47<|endoftext|>12"), "nothing after EOS counts");
        assertEquals(1.0, score("12+35=", " 47"), "leading whitespace is skipped");
        assertEquals(1.0, score("12+35=", "47\n3+4=8"), "the answer ends at the newline");
        assertEquals(1.0, score("12+35=", "47."));
        assertEquals(0.0, score("12+35=", "4"));
        assertEquals(0.0, score("12+35=", "470"));
        assertEquals(0.0, score("12+35=", "46"));
        assertEquals(0.0, score("12+35=", "47abc"));
        assertEquals(0.0, score("12+35=", "abc"));
        assertEquals(0.0, score("12+35=", ""));
        assertEquals(0.0, score("12+35=", "<|endoftext|>47"));
        assertEquals(1.0, score("0+0=", "0"));
        assertEquals(1.0, score("49+49=", "98"));
    }

    @Test
    void batchedAndDecodedFromTokens() {
        BpeTokenizer tok = BpeTokenizer.byteLevel(List.of("<|endoftext|>", "<|pad|>"));
        int[] withEos = concat(tok.encode("47"), new int[] {0});
        assertEquals("47", tok.decode(withEos));
        assertEquals("47<|endoftext|>", tok.decodeWithSpecial(withEos));
        double[] s = reward.score(Collections.nCopies(3, "12+35="),
                List.of(tok.decode(withEos), tok.decodeWithSpecial(withEos), tok.decode(tok.encode("48"))));
        assertArrayEquals(new double[] {1, 1, 0}, s);
    }

    @Test
    void expectedAnswerComesFromThePrompt() {
        assertEquals("47", ArithReward.expectedAnswer("12+35="));
        assertEquals("1000", ArithReward.expectedAnswer("999+1="));
        assertNull(ArithReward.expectedAnswer("what is 12+35?"));
        assertThrows(IllegalArgumentException.class, () -> score("hello", "47"));
        assertThrows(IllegalArgumentException.class, () -> reward.score(List.of("1+1="), List.of()));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}

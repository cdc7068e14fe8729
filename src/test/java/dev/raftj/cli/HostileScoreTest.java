package dev.raftj.cli;

import static dev.raftj.cli.CliTest.JSON;
import static dev.raftj.cli.CliTest.raftj;
import static dev.raftj.cli.Hostile.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.raftj.Reference;
import org.junit.jupiter.api.Test;

/**
 * Family 6 of issue 14: {@code raftj score} never guesses. Input longer than the reward model's
 * context is refused unless {@code --truncate left|right} says which end to cut, and then each cut
 * pair is reported; an empty prompt + response is refused.
 */
class HostileScoreTest {
    static final String RM = Reference.model("gpt2-reward-tiny").toString();
    static final String LONG = "word ".repeat(200); // ~600 tokens; the context is 128

    @Test
    void longInputIsRefusedNamingPairContextAndTheWayOut() {
        assertRefused(raftj("score", "--reward-model", RM, "--prompt", LONG, "--response", " good"),
                "pair 1", "context", "128 tokens", RM, "--truncate left|right");
        // one long pair among short ones: nothing at all is printed, not the short ones' scores
        assertRefused(raftj("score", "--reward-model", RM, "--prompt", "a", "--response", "b", "--prompt", "x",
                "--response", LONG, "--format", "json"), "pair 2");
        // the response alone is long enough
        assertRefused(raftj("score", "--reward-model", RM, "--prompt", "", "--response", LONG), "pair 1", "context");
    }

    @Test
    void emptyPromptPlusResponseIsRefused() {
        assertRefused(raftj("score", "--reward-model", RM, "--prompt", "", "--response", ""), "pair 1", "empty");
        assertRefused(raftj("score", "--reward-model", RM, "--prompt", "a", "--response", "b", "--prompt", "",
                "--response", ""), "pair 2", "empty");
    }

    @Test
    void anEmptyPromptWithAResponseIsText() {
        assertEquals(0, raftj("score", "--reward-model", RM, "--prompt", "", "--response", "fine").code());
    }

    @Test
    void truncationIsExplicitAndReportedPerRow() throws Exception {
        CliTest.Run left = raftj("score", "--reward-model", RM, "--prompt", LONG, "--response", " good", "--prompt", "a",
                "--response", "b", "--truncate", "left", "--format", "json");
        assertEquals(0, left.code(), left.err());
        String[] rows = left.out().strip().split("\n");
        JsonNode first = JSON.readTree(rows[0]), second = JSON.readTree(rows[1]);
        assertTrue(first.get("truncated").asInt() > 400, rows[0]);
        assertEquals(0, second.get("truncated").asInt());
        assertTrue(left.err().contains("pair 1:") && left.err().contains("cut on the left"), left.err());
        assertTrue(!left.err().contains("pair 2:"), "only cut pairs are reported: " + left.err());
        CliTest.Run right = raftj("score", "--reward-model", RM, "--prompt", LONG, "--response", " good",
                "--truncate", "right", "--format", "json");
        assertEquals(0, right.code(), right.err());
        assertTrue(right.err().contains("cut on the right"), right.err());
        assertNotEquals(first.get("score").asDouble(), JSON.readTree(right.out().strip()).get("score").asDouble(),
                "left keeps the end, right the beginning");
        // text output: the same report on stderr
        CliTest.Run text = raftj("score", "--reward-model", RM, "--prompt", LONG, "--response", " good", "--truncate", "left");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.err().contains("raftj: warning: pair 1: "), text.err());
    }

    @Test
    void truncateTakesOnlyLeftOrRight() {
        CliTest.Run run = raftj("score", "--reward-model", RM, "--prompt", "a", "--response", "b", "--truncate", "middle");
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().startsWith("raftj: error: ") && run.err().contains("left, right"), run.err());
        assertEquals(2, raftj("score", "--reward-model", RM, "--prompt", "a", "--response", "b", "--truncate", "none").code());
    }
}

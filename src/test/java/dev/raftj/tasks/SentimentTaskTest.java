package dev.raftj.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.data.Prompt;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.CausalLM;
import dev.raftj.reward.Reward;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sentiment task: registry, the shipped reward model and base policy. */
class SentimentTaskTest {

    @Test
    void registered() {
        Task t = Tasks.get("sentiment");
        assertEquals("sentiment", t.name());
        assertSame(t, Tasks.get("sentiment"));
        assertTrue(t instanceof RewardModelTask);
        assertTrue(Tasks.names().contains("arith") && Tasks.names().contains("sentiment"), Tasks.names().toString());
        assertTrue(t.maxNewTokens() > SentimentTask.MAX_CONTINUATION, "room for the longest continuation and EOS");
    }

    @Test
    void shippedRewardModelRanksPositiveAboveNegative() {
        Reward r = Tasks.get("sentiment").newReward();
        double[] s = r.score(List.of("The movie was", "The movie was", "The food was", "The food was", "The room was"),
                List.of(" wonderful and moving.", " a waste of time.", " not bad at all.", " not very good.", " okay."));
        assertTrue(s[0] > 2 && s[1] < -2, "positive " + s[0] + ", negative " + s[1]);
        assertTrue(s[2] > 2 && s[3] < -2, "negations: " + s[2] + ", " + s[3]);
        assertTrue(Math.abs(s[4]) < Math.min(s[0], -s[1]), "neutral " + s[4] + " between");
    }

    /** The shipped policy loads, stops with EOS, and writes mixed sentiment: mean positivity near the middle. */
    @Test
    void shippedPolicyLoadsAndWritesMixedSentiment() {
        SentimentTask t = (SentimentTask) Tasks.get("sentiment");
        CausalLM lm = CausalLM.load(t.policy());
        assertEquals(258, lm.config().vocabSize);
        Tokenizer tok = Tokenizer.load(t.policy());
        for (Prompt p : t.evalPrompts()) {
            assertTrue(tok.encode(p.text()).length + t.maxNewTokens() <= lm.config().maxPositions, "room for " + p.text());
        }
        List<Prompt> prompts = t.evalPrompts().subList(0, 40);
        TaskEval.Accuracy sampled = TaskEval.sampled(lm, tok, prompts, SentimentTask.positivity(t.newReward()),
                t.maxNewTokens(), 4, 1.0, 7);
        assertTrue(sampled.endedByEos() > 0.9, sampled.toString());
        assertTrue(sampled.accuracy() > 0.3 && sampled.accuracy() < 0.7, "mean positivity " + sampled);
    }
}

package dev.raftj.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.CausalLM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arith task: registry, the held-out split, materialisation, the shipped policy. */
class ArithTaskTest {

    @Test
    void registry() {
        Task t = Tasks.get("arith");
        assertEquals("arith", t.name());
        assertSame(t, Tasks.get("arith"));
        assertFalse(t.description().isBlank());
        UserError e = assertThrows(UserError.class, () -> Tasks.get("nope"));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("arith"), e.getMessage());
    }

    /** The split is by unordered pair: a held-out "a+b=" never has "b+a=" (or itself) among the training prompts. */
    @Test
    void noHeldOutPromptHasItsCommutedTwinInTraining() {
        Task t = Tasks.get("arith");
        Set<String> train = new HashSet<>();
        for (Prompt p : t.trainPrompts()) train.add(p.text());
        Set<String> eval = new HashSet<>();
        for (Prompt p : t.evalPrompts()) eval.add(p.text());
        for (String p : eval) {
            int[] ab = ArithTask.operands(p);
            String twin = ArithTask.prompt(ab[1], ab[0]);
            assertFalse(train.contains(p), p + " is a training prompt");
            assertFalse(train.contains(twin), "held-out " + p + " has its commuted twin " + twin + " in training");
            assertTrue(eval.contains(twin), "held-out " + p + " without " + twin);
        }
    }

    @Test
    void materialisesOnceIntoACacheFolder(@TempDir Path cache) throws Exception {
        String old = System.getProperty(TaskResources.CACHE_PROPERTY);
        System.setProperty(TaskResources.CACHE_PROPERTY, cache.toString());
        try {
            ArithTask fresh = new ArithTask();
            Path train = fresh.trainFile();
            assertTrue(train.startsWith(cache), train.toString());
            assertTrue(train.getParent().getFileName().toString().startsWith("arith-"));
            Path again = new ArithTask().trainFile();
            assertEquals(train, again);
            Path policy = fresh.policy();
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
                assertTrue(Files.isRegularFile(policy.resolve(f)), f);
            }
            try (var entries = Files.list(cache)) {
                assertEquals(1, entries.count(), "one folder, no temp folder left");
            }
            // A damaged cache folder is rebuilt.
            Files.delete(policy.resolve("tokenizer.json"));
            assertTrue(Files.isRegularFile(new ArithTask().policy().resolve("tokenizer.json")));
        } finally {
            if (old == null) System.clearProperty(TaskResources.CACHE_PROPERTY);
            else System.setProperty(TaskResources.CACHE_PROPERTY, old);
        }
    }

    /** The shipped base policy loads, answers with a number and EOS, and is imperfect on held-out prompts. */
    @Test
    void shippedPolicyLoadsAndIsDeliberatelyImperfect() {
        Task t = Tasks.get("arith");
        CausalLM lm = CausalLM.load(t.policy());
        Tokenizer tok = Tokenizer.load(t.policy());
        TaskEval.Accuracy greedy = TaskEval.greedy(lm, tok, t.evalPrompts(), t.newReward(), t.maxNewTokens());
        assertEquals(1.0, greedy.endedByEos(), "every greedy answer ends with EOS");
        assertTrue(greedy.accuracy() >= 0.2 && greedy.accuracy() <= 0.5, "held-out greedy accuracy " + greedy);
    }
}

package dev.raftj.tasks.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.tasks.ArithReward;
import dev.raftj.tasks.ArithTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The arith task's build: the shipped files are the generated split, the corpus answers, the policy recipe. */
class ArithDataTest {

    @Test
    void shippedDataIsTheGeneratedSplit() throws Exception {
        Task t = Tasks.get("arith");
        assertEquals(ArithData.dataFile(false), Files.readString(t.trainFile()));
        assertEquals(ArithData.dataFile(true), Files.readString(t.evalFile()));
        List<Prompt> train = t.trainPrompts(), eval = t.evalPrompts();
        assertEquals(ArithData.EVAL_COUNT, eval.size());
        assertEquals(ArithTask.OPERAND_LIMIT * ArithTask.OPERAND_LIMIT - ArithData.EVAL_COUNT, train.size());
        Set<String> seen = new HashSet<>();
        for (Prompt p : train) assertTrue(seen.add(p.text()));
        for (Prompt p : eval) assertTrue(seen.add(p.text()), "eval prompt " + p.text() + " is also a training prompt");
        for (Prompt p : eval) {
            assertEquals(ArithReward.expectedAnswer(p.text()), p.field("answer"));
            assertEquals(1.0, t.newReward().score(List.of(p.text()), List.of(p.field("answer")))[0]);
        }
    }

    /** The base policy is pretrained on training pairs only: no held-out prompt (nor its commuted twin) in the corpus. */
    @Test
    void thePolicyCorpusDrawsTrainingPairsOnly() {
        Task t = Tasks.get("arith");
        Set<String> eval = new HashSet<>();
        for (Prompt p : t.evalPrompts()) eval.add(p.text());
        PretrainRecipe recipe = TaskBuild.of(t).policy();
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(1);
        Set<String> drawn = new HashSet<>();
        for (int i = 0; i < 50_000; i++) {
            PretrainRecipe.Example ex = recipe.corpus().next(r);
            assertFalse(eval.contains(ex.prompt()), "held-out prompt " + ex.prompt() + " in the pretraining corpus");
            drawn.add(ex.prompt());
        }
        assertEquals(t.trainPrompts().size(), drawn.size(), "every training prompt is drawn");
    }

    @Test
    void slipsAndPretrainingAnswers() {
        assertEquals(37, ArithData.slipAnswer(19, 28), "forgotten carry");
        assertEquals(57, ArithData.slipAnswer(12, 35), "spurious carry when the units sum to 7");
        assertEquals(-1, ArithData.slipAnswer(12, 34));
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(5);
        int n = 20000, correct = 0, slip = 0;
        for (int i = 0; i < n; i++) {
            int a = ArithData.pretrainingAnswer(19, 28, r);
            assertTrue(a >= 0 && Math.abs(a - 47) <= ArithData.MAX_ERROR, "answer " + a);
            if (a == 47) correct++;
            if (a == 37) slip++;
        }
        assertEquals(ArithData.P_CORRECT_ON_SLIP, (double) correct / n, 0.02);
        assertEquals(ArithData.P_SLIP, (double) slip / n, 0.02);
        correct = 0;
        for (int i = 0; i < n; i++) {
            int a = ArithData.pretrainingAnswer(1, 2, r);
            assertTrue(a >= 0, "never negative");
            if (a == 3) correct++;
        }
        assertEquals(ArithData.P_CORRECT, (double) correct / n, 0.02);
    }
}

package dev.raftj.tasks.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.OneTorchThread;
import dev.raftj.cli.Main;
import dev.raftj.model.CausalLM;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A few pretraining steps: the loss falls, the folder loads, the same seed gives the same bytes. */
@ExtendWith(OneTorchThread.class)
class PretrainerTest {
    @Test
    void aShortRunLowersTheLossAndIsReproducible(@TempDir Path tmp) throws Exception {
        Task task = Tasks.get("arith");
        PretrainRecipe recipe = TaskBuild.of(task).policy().withSteps(40).withEvalEvery(20);
        StringWriter log = new StringWriter();
        Pretrainer.Result a = Pretrainer.run(task, recipe, tmp.resolve("a"), new PrintWriter(log, true));
        assertTrue(a.lastLoss() < 0.7 * a.firstLoss(), "loss " + a.firstLoss() + " -> " + a.lastLoss());
        assertTrue(log.toString().contains("step     20"), log.toString());
        assertTrue(log.toString().contains("held-out greedy"), log.toString());
        CausalLM lm = CausalLM.load(tmp.resolve("a"));
        assertEquals(258, lm.config().vocabSize);
        assertTrue(Files.isRegularFile(tmp.resolve("a/tokenizer.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("a/generation_config.json")));

        Pretrainer.run(task, recipe, tmp.resolve("b"), new PrintWriter(new StringWriter(), true));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")),
                Files.readAllBytes(tmp.resolve("b/model.safetensors")), "same seed, same weights");
    }

    @Test
    void cliRejectsAnUnknownTaskAndBadFlags(@TempDir Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "pretrain", "--task", "nope", "--out", tmp.toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("unknown task 'nope'") && err.toString().contains("arith"), err.toString());
        code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "pretrain", "--task", "arith", "--steps", "0", "--out", tmp.toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("--steps"), err.toString());
    }
}

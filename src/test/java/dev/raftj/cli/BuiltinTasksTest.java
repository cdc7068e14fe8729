package dev.raftj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.RunConfig;
import dev.raftj.tasks.SentimentStyleTask;
import dev.raftj.tasks.Tasks;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The sentiment-style preset: RLGAF from the task's own discriminator, judged by the sentiment reward model. */
class BuiltinTasksTest {

    @Test
    void sentimentStyleTrainsTheTasksDiscriminatorAgainstItsReferences() {
        RunConfig c = BuiltinTasks.config(SentimentStyleTask.NAME);
        c.validate(Path.of("--task sentiment-style"));
        assertTrue(c.reward().usesAdversarial(), c.reward().toString());
        SentimentStyleTask t = (SentimentStyleTask) Tasks.get(SentimentStyleTask.NAME);
        assertEquals(t.discriminator().toString(), c.discriminator().init());
        assertNotNull(c.discriminator().measure(), "an independent measure");
        assertTrue(c.discriminator().measure().toString().contains("task:sentiment"), c.discriminator().measure().toString());
        assertTrue(c.discriminator().warmupSteps() > 0);
        assertEquals(t.trainFile().toString(), c.prompts());
        assertEquals(t.policy().toString(), c.model());
        assertEquals("task:sentiment", BuiltinTasks.config("sentiment").reward().toString().replace("\"", ""));
    }
}

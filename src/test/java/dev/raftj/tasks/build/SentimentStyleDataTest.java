package dev.raftj.tasks.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.data.Prompt;
import dev.raftj.reward.Reward;
import dev.raftj.tasks.SentimentStyleTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RLGAF's example task: the shipped files are the generator's, the references are positive, the discriminator is untrained. */
class SentimentStyleDataTest {

    @Test
    void theShippedPromptsAndDiscriminatorAreWhatTheGeneratorWrites(@TempDir Path tmp) throws Exception {
        SentimentStyleTask t = (SentimentStyleTask) Tasks.get(SentimentStyleTask.NAME);
        Map<String, String> files = SentimentStyleData.files();
        assertEquals(SentimentStyleData.FILES, List.copyOf(files.keySet()));
        for (String f : SentimentStyleData.FILES) {
            assertEquals(files.get(f), Files.readString(t.trainFile().getParent().resolve(f)), f + " is not what SentimentStyleData generates");
        }
        SentimentStyleData.discriminator(tmp);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve(f)), Files.readAllBytes(t.discriminator().resolve(f)), f);
        }
        assertEquals(Tasks.get("sentiment").policy(), t.policy(), "the sentiment task's base policy");
    }

    @Test
    void theReferencesArePositiveWhileTheBasePolicysCorpusIsMixed() {
        Task t = Tasks.get(SentimentStyleTask.NAME), sentiment = Tasks.get("sentiment");
        Reward judge = t.newReward();
        List<Prompt> style = t.trainPrompts(), mixed = sentiment.trainPrompts();
        assertEquals(mixed.stream().map(Prompt::text).toList(), style.stream().map(Prompt::text).toList(), "the same prompts");
        assertEquals(sentiment.evalPrompts().stream().map(Prompt::text).toList(), t.evalPrompts().stream().map(Prompt::text).toList());
        double pos = mean(judge.score(style.stream().map(Prompt::text).toList(), style.stream().map(p -> p.field("reference")).toList()));
        double mix = mean(judge.score(mixed.stream().map(Prompt::text).toList(), mixed.stream().map(p -> p.field("reference")).toList()));
        assertTrue(pos > 3 && mix < 1, "sentiment score of the references " + pos + ", of sentiment's mixed ones " + mix);
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }
}

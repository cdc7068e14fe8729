package dev.raftj.tasks.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.data.Prompt;
import dev.raftj.data.Tokenizer;
import dev.raftj.kernels.TorchKernels;
import dev.raftj.model.RewardModel;
import dev.raftj.tasks.SentimentTask;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sentiment task's build: the generated data are the shipped files, the shipped reward model is accurate. */
class SentimentDataTest {

    @Test
    void generatorIsDeterministicAndTheShippedFilesAreItsOutput() throws Exception {
        Map<String, String> files = SentimentData.files();
        assertEquals(files, SentimentData.files(), "same seed, same files");
        assertEquals(SentimentData.FILES, List.copyOf(files.keySet()));
        SentimentTask t = (SentimentTask) Tasks.get("sentiment");
        Path dir = t.trainFile().getParent();
        long bytes = 0;
        for (String f : SentimentData.FILES) {
            assertEquals(files.get(f), Files.readString(dir.resolve(f)), f + " is not what SentimentData generates");
            bytes += files.get(f).length();
        }
        assertTrue(bytes < 300_000, "shipped data is small: " + bytes + " bytes");
    }

    @Test
    void splitsAreDisjointAndTheCorpusIsMixed() {
        Task t = Tasks.get("sentiment");
        List<Prompt> train = t.trainPrompts(), eval = t.evalPrompts();
        assertEquals(SentimentData.EVAL_PROMPTS, eval.size());
        assertEquals(SentimentData.allPrompts().size(), train.size() + eval.size());
        Set<String> seen = new HashSet<>();
        for (Prompt p : train) assertTrue(seen.add(p.text()));
        for (Prompt p : eval) assertTrue(seen.add(p.text()), "held-out prompt " + p.text() + " is also a training prompt");
        for (Prompt p : eval) assertTrue(p.field("reference").startsWith(" "), p.toString());

        Set<String> texts = new HashSet<>();
        for (RewardModelRecipe.Example e : SentimentData.rewardData(false)) assertTrue(texts.add(e.text()));
        for (RewardModelRecipe.Example e : SentimentData.rewardData(true)) {
            assertTrue(texts.add(e.text()), "held-out reward text also in training: " + e.text());
        }
        Set<String> trainPrompts = new HashSet<>();
        for (Prompt p : train) trainPrompts.add(p.text());
        int positive = 0, negative = 0;
        List<SentimentData.Line> corpus = SentimentData.corpus();
        for (SentimentData.Line l : corpus) {
            assertTrue(trainPrompts.contains(l.prompt()), "corpus uses training prompts only: " + l.prompt());
            assertTrue(l.completion().length() <= SentimentData.MAX_CONTINUATION, l.completion());
            assertTrue(l.prompt().length() + l.completion().length() < SentimentBuild.SPEC.positions(), l.toString());
            if (l.sentiment() == SentimentData.Sentiment.POSITIVE) positive++;
            if (l.sentiment() == SentimentData.Sentiment.NEGATIVE) negative++;
        }
        assertEquals(SentimentData.CORPUS_POSITIVE, (double) positive / corpus.size(), 0.04);
        assertEquals(SentimentData.CORPUS_POSITIVE, (double) negative / corpus.size(), 0.04);
    }

    @Test
    void shippedRewardModelIsAnHfSequenceClassifierAccurateOnHeldOutText() throws Exception {
        SentimentTask t = (SentimentTask) Tasks.get("sentiment");
        Path dir = t.rewardModel();
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("GPT2ForSequenceClassification", config.path("architectures").path(0).asText());
        assertEquals(1, config.path("id2label").size());
        assertEquals(1, config.path("pad_token_id").asInt());
        RewardModel rm = RewardModel.load(dir);
        assertEquals(64, rm.config().hidden);
        assertTrue(Files.size(dir.resolve("model.safetensors")) < 1_000_000);
        Tokenizer tok = Tokenizer.load(dir);
        List<RewardModelRecipe.Example> heldOut = RewardModelRecipe.readLabeled(t.rewardDataFile(true));
        int[][] ids = new int[heldOut.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tok.encode(heldOut.get(i).text());
        RewardModelTrainer.Quality q = RewardModelTrainer.evaluate(rm, new TorchKernels(), ids, heldOut, 1);
        assertTrue(q.accuracy() > 0.95, "held-out " + q);
        assertTrue(q.meanPositive() > 2 && q.meanNegative() < -2 && Math.abs(q.meanNeutral()) < 1.5, q.toString());
    }
}

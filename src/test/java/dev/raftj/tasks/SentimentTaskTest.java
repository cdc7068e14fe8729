package dev.raftj.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.data.Prompt;
import dev.raftj.data.Tokenizer;
import dev.raftj.kernels.TorchKernels;
import dev.raftj.model.CausalLM;
import dev.raftj.model.RewardModel;
import dev.raftj.reward.Reward;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sentiment task: registry, generated data, the shipped reward model and base policy. */
class SentimentTaskTest {

    @Test
    void registered() {
        Task t = Tasks.get("sentiment");
        assertEquals("sentiment", t.name());
        assertSame(t, Tasks.get("sentiment"));
        assertTrue(t instanceof RewardModelTask);
        assertTrue(Tasks.names().contains("arith") && Tasks.names().contains("sentiment"), Tasks.names().toString());
        assertTrue(t.maxNewTokens() > SentimentData.MAX_CONTINUATION, "room for the longest continuation and EOS");
    }

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
            assertTrue(l.prompt().length() + l.completion().length() < SentimentTask.SPEC.positions(), l.toString());
            if (l.sentiment() == SentimentData.Sentiment.POSITIVE) positive++;
            if (l.sentiment() == SentimentData.Sentiment.NEGATIVE) negative++;
        }
        assertEquals(SentimentData.CORPUS_POSITIVE, (double) positive / corpus.size(), 0.04);
        assertEquals(SentimentData.CORPUS_POSITIVE, (double) negative / corpus.size(), 0.04);
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
        List<RewardModelRecipe.Example> heldOut = SentimentTask.readLabeled(t.rewardDataFile(true));
        int[][] ids = new int[heldOut.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tok.encode(heldOut.get(i).text());
        RewardModelTrainer.Quality q = RewardModelTrainer.evaluate(rm, new TorchKernels(), ids, heldOut, 1);
        assertTrue(q.accuracy() > 0.95, "held-out " + q);
        assertTrue(q.meanPositive() > 2 && q.meanNegative() < -2 && Math.abs(q.meanNeutral()) < 1.5, q.toString());
    }

    /** The shipped policy loads, stops with EOS, and writes mixed sentiment: mean positivity near the middle. */
    @Test
    void shippedPolicyLoadsAndWritesMixedSentiment() {
        SentimentTask t = (SentimentTask) Tasks.get("sentiment");
        CausalLM lm = CausalLM.load(t.policy());
        assertEquals(258, lm.config().vocabSize);
        assertEquals(SentimentTask.SPEC.positions(), lm.config().maxPositions);
        Tokenizer tok = Tokenizer.load(t.policy());
        List<Prompt> prompts = t.evalPrompts().subList(0, 40);
        TaskEval.Accuracy sampled = TaskEval.sampled(lm, tok, prompts, SentimentTask.positivity(t.newReward()),
                t.maxNewTokens(), 4, 1.0, 7);
        assertTrue(sampled.endedByEos() > 0.9, sampled.toString());
        assertTrue(sampled.accuracy() > 0.3 && sampled.accuracy() < 0.7, "mean positivity " + sampled);
    }
}

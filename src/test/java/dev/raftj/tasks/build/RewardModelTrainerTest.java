package dev.raftj.tasks.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.OneTorchThread;
import dev.raftj.cli.Main;
import dev.raftj.data.BpeTokenizer;
import dev.raftj.data.Shuffle;
import dev.raftj.model.Initializer;
import dev.raftj.model.RewardModel;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Reward-model building blocks: the BPE trainer, the classifier initialiser, a short training run. */
@ExtendWith(OneTorchThread.class)
class RewardModelTrainerTest {
    @Test
    void bpeLearnsWholeFrequentWordsAndRoundTrips(@TempDir Path tmp) throws Exception {
        List<String> texts = List.of("The movie was wonderful.", "The food was wonderful.", "The room was awful.",
                "The movie was awful and dull.");
        BpeTokenizer a = ByteLevelBpeTrainer.train(texts, List.of("<|endoftext|>", "<|pad|>"), 50, 2, tmp.resolve("a.json"));
        BpeTokenizer b = ByteLevelBpeTrainer.train(texts, List.of("<|endoftext|>", "<|pad|>"), 50, 2, tmp.resolve("b.json"));
        assertEquals(Files.readString(tmp.resolve("a.json")), Files.readString(tmp.resolve("b.json")), "deterministic");
        assertEquals(1, a.encode(" wonderful").length, "a word seen twice is one token");
        assertEquals(0, a.tokenId("<|endoftext|>").getAsInt());
        assertEquals(1, a.tokenId("<|pad|>").getAsInt());
        assertTrue(a.vocabSize() > 258 && a.vocabSize() <= 258 + 50, "vocabulary " + a.vocabSize());
        for (String s : List.of("The movie was wonderful.", "Zebras fly, 42 times! ünïcödé")) {
            assertEquals(s, a.decode(a.encode(s)));
        }
        // The same ids through a plain load of the written file.
        BpeTokenizer reread = BpeTokenizer.load(tmp.resolve("a.json"));
        assertArrayEquals(a.encode(texts.get(3)), reread.encode(texts.get(3)));
    }

    @Test
    void sequenceClassifierInitHasHfLayoutAndTheLmBody(@TempDir Path tmp) throws Exception {
        Initializer.Gpt2Spec spec = new Initializer.Gpt2Spec(258, 16, 1, 2, 16, 0, 0, 1);
        Initializer.gpt2SequenceClassification(tmp, spec, 3);
        JsonNode c = new ObjectMapper().readTree(tmp.resolve("config.json").toFile());
        assertEquals("GPT2ForSequenceClassification", c.path("architectures").path(0).asText());
        assertEquals("LABEL_0", c.path("id2label").path("0").asText());
        assertEquals(1, c.path("pad_token_id").asInt());
        List<String> keys = new ArrayList<>();
        c.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys, "keys sorted as transformers writes them");
        assertFalse(Files.exists(tmp.resolve("generation_config.json")));
        Map<String, Tensor> w = SafeTensors.read(tmp.resolve(SafeTensors.SINGLE));
        assertArrayEquals(new long[] {1, 16}, Torch.shape(w.get("score.weight")));
        Map<String, Tensor> lm = Initializer.gpt2Weights(spec, 3);
        for (Map.Entry<String, Tensor> e : lm.entrySet()) {
            assertTrue(torch.equal(e.getValue(), w.get(e.getKey())), e.getKey() + " differs from the LM's draw");
        }
        assertEquals(lm.size() + 1, w.size());
    }

    @Test
    void aShortRunLearnsTrainsTheHeadAndIsReproducible(@TempDir Path tmp) throws Exception {
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(1);
        List<RewardModelRecipe.Example> train = new ArrayList<>(), eval = new ArrayList<>();
        String[] good = {"great", "lovely", "superb"}, bad = {"awful", "dull", "poor"};
        for (int i = 0; i < 240; i++) {
            boolean pos = r.nextInt(2) == 0;
            String text = "It was " + (pos ? good : bad)[r.nextInt(3)] + ".";
            (i < 200 ? train : eval).add(new RewardModelRecipe.Example(text, pos ? 1 : 0));
        }
        RewardModelRecipe recipe = new RewardModelRecipe(new Initializer.Gpt2Spec(258, 32, 1, 2, 32, 0, 0, 1),
                List.of("<|endoftext|>", "<|pad|>"), 30, 5, 60, 32, 3e-3, 5, 0.1, 0.0, 1.0, 30, train, eval);
        StringWriter log = new StringWriter();
        RewardModelTrainer.Result a = RewardModelTrainer.run(recipe, tmp.resolve("a"), new PrintWriter(log, true));
        assertTrue(a.lastLoss() < 0.5 * a.firstLoss(), "loss " + a.firstLoss() + " -> " + a.lastLoss() + "\n" + log);
        assertTrue(a.heldOut().accuracy() > 0.95, a.heldOut().toString());
        // score.weight is trained too (it is read through a view that must pass gradients on).
        Path fresh = tmp.resolve("init");
        Initializer.gpt2SequenceClassification(fresh, recipe.modelWithVocabulary(
                BpeTokenizer.load(tmp.resolve("a/tokenizer.json")).vocabSize()), recipe.seed());
        Tensor before = SafeTensors.read(fresh.resolve(SafeTensors.SINGLE)).get("score.weight");
        Tensor after = SafeTensors.read(tmp.resolve("a").resolve(SafeTensors.SINGLE)).get("score.weight");
        assertFalse(torch.equal(before, after), "the head did not move");
        RewardModel rm = RewardModel.load(tmp.resolve("a"));
        assertEquals(1, rm.config().numLabels);

        RewardModelTrainer.run(recipe, tmp.resolve("b"), new PrintWriter(new StringWriter(), true));
        for (String f : List.of(SafeTensors.SINGLE, "tokenizer.json", "config.json")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)),
                    "same seed, same " + f);
        }
    }

    @Test
    void cliOptionsForRewardModelsOnlyApplyToSuchTasks(@TempDir Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "pretrain", "--task", "arith", "--only", "reward", "--out", tmp.toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("no reward model"), err.toString());
    }
}

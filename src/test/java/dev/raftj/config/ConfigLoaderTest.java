package dev.raftj.config;

import dev.raftj.core.UserError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.raftj.reward.OnError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private static final String REQUIRED = "model: models/tiny\nreward: exact\nprompts: data/p.jsonl\n";

    private Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private String error(String name, String text) throws IOException {
        Path f = file(name, text);
        return assertThrows(UserError.class, () -> ConfigLoader.load(f, RunConfig.class)).getMessage();
    }

    @Test
    void loadsYamlWithDefaultsForMissingFields() throws IOException {
        RunConfig c = ConfigLoader.load(file("run.yaml", REQUIRED
                + "raft:\n  stages: 3\n  ranking:\n    mode: GLOBAL\nsampling:\n  k: 4\n  temperature: 0.7\n  stop: \"\\n\"\n"
                + "on_reward_error: drop\nsft:\n  lr_schedule: cosine\n"), RunConfig.class);
        assertEquals("models/tiny", c.model());
        assertEquals(3, c.raft().stages());
        assertEquals(4, c.sampling().k());
        assertEquals(0.7, c.sampling().temperature());
        assertEquals(List.of("\n"), c.sampling().stop()); // a single string is a list of one
        assertEquals(16, c.sampling().maxNewTokens());
        assertEquals(RankingConfig.Mode.GLOBAL, c.raft().ranking().mode()); // enums are case-insensitive
        assertEquals(0.25, c.raft().ranking().fractionFor(c.sampling().k())); // unset fraction = 1/K
        assertEquals(OnError.DROP, c.onRewardError());
        assertEquals(dev.raftj.train.LrSchedule.COSINE, c.sft().lrSchedule());
        assertEquals(2, c.sft().epochs());
        assertEquals(2048, c.raft().batchPrompts());
    }

    @Test
    void loadsJson() throws IOException {
        RunConfig c = ConfigLoader.load(file("run.json",
                "{\"model\": \"m\", \"reward\": \"exact\", \"prompts\": \"p\", \"sampling\": {\"max_new_tokens\": 32}}"),
                RunConfig.class);
        assertEquals(32, c.sampling().maxNewTokens());
    }

    @Test
    void unknownKeyNamesFileLineParentAndKnownKeys() throws IOException {
        String m = error("run.yaml", REQUIRED + "sampling:\n  k: 4\n  temprature: 0.5\n");
        assertEquals(dir.resolve("run.yaml") + ":6: unknown key 'temprature' in 'sampling' (did you mean"
                + " 'temperature'? known: batch_size, k, max_new_tokens, min_new_tokens, min_p, stop, temperature, top_k, top_p)", m);
        // not the last key: the line is still the unknown key's own
        String middle = error("run.yaml", REQUIRED + "sampling:\n  top: 3\n  k: 4\nseed: 2\n");
        assertTrue(middle.startsWith(dir.resolve("run.yaml") + ":5: unknown key 'top' in 'sampling'"), middle);
        String top = error("run.yaml", REQUIRED + "bogus_key: 1\n"); // far from every key: no suggestion
        assertTrue(top.startsWith(dir.resolve("run.yaml") + ":4: unknown key 'bogus_key' (known: algorithm, device, "), top);
    }

    @Test
    void wrongTypeNamesFileLineFieldAndValue() throws IOException {
        Path f = dir.resolve("run.yaml");
        assertEquals(f + ":5: field 'sampling.k': expected an integer, got \"ten\"",
                error("run.yaml", REQUIRED + "sampling:\n  k: ten\n"));
        assertEquals(f + ":5: field 'sampling.k': expected an integer, got 2.5",
                error("run.yaml", REQUIRED + "sampling:\n  k: 2.5\n"));
        assertEquals(f + ":5: field 'sampling.k': expected an integer, got a list",
                error("run.yaml", REQUIRED + "sampling:\n  k: [1]\n"));
        assertEquals(f + ":4: field 'sampling': expected a mapping of settings, got 3",
                error("run.yaml", REQUIRED + "sampling: 3\n"));
        assertEquals(f + ":6: field 'raft.ranking.mode': expected one of local, global, got \"top\"",
                error("run.yaml", REQUIRED + "raft:\n  ranking:\n    mode: top\n"));
        assertEquals(f + ":4: field 'on_reward_error': expected one of drop, fail, got \"skip\"",
                error("run.yaml", REQUIRED + "on_reward_error: skip\n"));
        assertEquals(f + ":5: field 'sft.reset_optimizer': expected true or false, got \"maybe\"",
                error("run.yaml", REQUIRED + "sft:\n  reset_optimizer: maybe\n"));
        Path json = dir.resolve("run.json");
        assertEquals(json + ":2: field 'sampling.k': expected an integer, got \"ten\"",
                error("run.json", "{\"model\": \"m\", \"reward\": \"exact\", \"prompts\": \"p\",\n \"sampling\": {\"k\": \"ten\"}}"));
    }

    @Test
    void invalidValuesNameFileLineAndField() throws IOException {
        Path f = dir.resolve("run.yaml");
        assertEquals(f + ":5: field 'sampling.k': must be >= 1, got 0",
                error("run.yaml", REQUIRED + "sampling:\n  k: 0\n"));
        assertEquals(f + ":7: field 'raft.ranking.fraction': must be in (0, 1], got 1.5",
                error("run.yaml", REQUIRED + "raft:\n  ranking:\n    mode: global\n    fraction: 1.5\n"));
        assertEquals(f + ":6: field 'raft.ranking.m': must be <= sampling.k (8), got 9",
                error("run.yaml", REQUIRED + "raft:\n  ranking:\n    m: 9\n"));
        assertEquals(f + ":5: field 'sampling.stop[1]': must be a non-empty string",
                error("run.yaml", REQUIRED + "sampling:\n  stop: [\"a\", \"\"]\n"));
        // a required field that is not written has no line
        assertEquals(f + ": field 'model': required, not set", error("run.yaml", "reward: exact\nprompts: p\n"));
    }

    @Test
    void syntaxErrorsDuplicatesAndEmptyFiles() throws IOException {
        Path f = dir.resolve("run.yaml");
        assertEquals(f + ":6: duplicate key 'k' in 'sampling'", error("run.yaml", REQUIRED + "sampling:\n  k: 4\n  k: 5\n"));
        assertEquals(f + ":6: invalid YAML: while parsing a block mapping; expected <block end>, but found"
                + " '<block mapping start>'", error("run.yaml", REQUIRED + "sampling:\n  k: 4\n k: [\n"));
        assertEquals(f + ": the configuration is empty", error("run.yaml", ""));
        assertEquals(f + ": the configuration is empty", error("run.yaml", "# nothing yet\n"));
        assertEquals(f + ":1: expected a mapping of settings at the top level, got a list", error("run.yaml", "- 1\n"));
        Path json = dir.resolve("run.json");
        assertEquals(json + ":2: invalid JSON: Unexpected character (',' (code 44)): was expecting double-quote"
                + " to start field name", error("run.json", "{\"model\": \"m\",\n \"reward\": \"exact\",,}"));
        String trailing = error("run.json", "{\"model\": \"m\", \"reward\": \"exact\", \"prompts\": \"p\"} {}");
        assertTrue(trailing.endsWith("unexpected content after the end of the configuration"), trailing);
        Path missing = dir.resolve("none.yaml");
        assertEquals(missing + ": configuration file not found",
                assertThrows(UserError.class, () -> ConfigLoader.load(missing, RunConfig.class)).getMessage());
    }

    private static final YAMLFactory YAML = new YAMLFactory();

    @Test
    void lineOfFindsNestedKeysAndListItems() {
        String yaml = "a: 1\nsampling:\n  k: 4\n  stop:\n    - x\n    - y\n";
        assertEquals(3, ConfigLoader.lineOf(YAML, yaml, "sampling.k"));
        assertEquals(6, ConfigLoader.lineOf(YAML, yaml, "sampling.stop[1]"));
        assertEquals(-1, ConfigLoader.lineOf(YAML, yaml, "model"));
    }

    @Test
    void editDistanceAndSuggestion() {
        assertEquals(1, dev.raftj.core.Names.editDistance("temprature", "temperature"));
        assertEquals(3, dev.raftj.core.Names.editDistance("kitten", "sitting"));
        assertEquals("top_k", ConfigLoader.closest("topk", List.of("k", "top_k", "top_p")));
        assertNull(ConfigLoader.closest("zzzzzz", List.of("k", "top_k")));
    }
}

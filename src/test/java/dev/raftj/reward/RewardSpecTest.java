package dev.raftj.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.raftj.Reference;
import dev.raftj.core.ConfigError;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.Validated;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RewardSpecTest {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    private static final Path FILE = Path.of("run.yaml");

    @TempDir
    Path dir;

    /** A configuration with a reward field, as RaftConfig will have one. */
    record Holder(@JsonProperty("reward") RewardSpec reward) implements Validated {
        @Override
        public void validate(Path file) {
            reward.validate(file, "reward");
        }
    }

    /** The spec a YAML value writes, read through Jackson's creator as a config field is. */
    private static RewardSpec spec(String yaml) {
        try {
            return YAML.readValue(yaml, RewardSpec.class);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static double[] score(RewardSpec spec, RewardSpec.Context ctx, List<String> prompts, List<String> responses) {
        spec.validate(FILE, "reward");
        return spec.build(ctx).score(prompts, responses);
    }

    private static List<String> same(String prompt, int n) {
        return Collections.nCopies(n, prompt);
    }

    private static final Map<String, String> ANSWERS = Map.of("1+1=", "2", "2+3=", "5");

    // ------------------------------------------------------------------ each form

    @Test
    void shortStringsExactAndTaskStillWork() {
        RewardSpec.Context ctx = RewardSpec.Context.of(dir).withAnswers(ANSWERS);
        assertArrayEquals(new double[] {1, 0, 1},
                score(RewardSpec.of("exact"), ctx, List.of("1+1=", "2+3=", "2+3="), List.of("2", "6", " 5.")));

        List<String> asked = new ArrayList<>();
        RewardSpec.Context withTasks = ctx.withTasks(name -> {
            asked.add(name);
            if (!name.equals("digits")) throw new UserError("unknown task '" + name + "'");
            return new RegexReward("\\d");
        });
        assertArrayEquals(new double[] {1, 0},
                score(RewardSpec.of("task:digits"), withTasks, same("p", 2), List.of("a1", "b")));
        assertEquals(List.of("digits"), asked);

        UserError e = assertThrows(UserError.class, () -> RewardSpec.of("task:nope").build(withTasks));
        assertEquals("field 'reward': unknown task 'nope'", e.getMessage());
    }

    @Test
    void exactAndTaskMappings() {
        List<String> asked = new ArrayList<>();
        RewardSpec.Context ctx = RewardSpec.Context.of(dir).withAnswers(ANSWERS).withTasks(name -> {
            asked.add(name);
            return new RegexReward("!");
        });
        assertArrayEquals(new double[] {0, 1}, score(spec("{exact: {}}"), ctx, List.of("1+1=", "2+3="), List.of("3", "5")));
        assertArrayEquals(new double[] {1, 0}, score(spec("{task: shout}"), ctx, same("p", 2), List.of("hey!", "hey")));
        assertEquals(List.of("shout"), asked);
    }

    @Test
    void modelFormsScoreLikeTheReferenceModelFromFoldersRelativeToTheConfig() throws IOException {
        Path model = Reference.model("gpt2-reward-tiny");
        JsonNode cases = JSON.readTree(model.resolve("cli_expect.json").toFile()).get("cases");
        List<String> prompts = new ArrayList<>(), responses = new ArrayList<>();
        double[] expected = new double[cases.size()];
        for (int i = 0; i < cases.size(); i++) {
            prompts.add(cases.get(i).get("prompt").asText());
            responses.add(cases.get(i).get("response").asText());
            expected[i] = cases.get(i).get("score").asDouble();
        }
        // a config file beside the model folder names it relatively
        RewardSpec.Context ctx = RewardSpec.Context.forConfig(model.getParent().resolve("run.yaml"));
        String name = model.getFileName().toString();
        for (RewardSpec s : List.of(RewardSpec.of("model:" + name), spec("{model: " + name + ", batch_size: 2}"))) {
            double[] got = score(s, ctx, prompts, responses);
            assertArrayEquals(expected, got, 1e-4, s.toString());
        }

        // 2·model − 0.5·length(target 4); lengths 31, 2, 20, 23, 2 code points, so the length term
        // −0.5·(−|len − 4|/4) is 3.375, 0.25, 2.0, 2.375, 0.25
        RewardSpec sum = spec("sum:\n  - {model: " + name + ", weight: 2.0}\n  - {length: {target: 4}, weight: -0.5}\n");
        double[] lengthTerm = {3.375, 0.25, 2.0, 2.375, 0.25};
        double[] got = score(sum, ctx, prompts, responses);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(2 * expected[i] + lengthTerm[i], got[i], 2e-4, "case " + i);
        }

        // the same folder named twice is loaded once
        WeightedSumReward twice = (WeightedSumReward) spec("sum: [{model: " + name + ", weight: 1}, {model: "
                + model + ", weight: 1}]").build(ctx);
        assertSame(twice.terms().get(0).reward(), twice.terms().get(1).reward());
        assertInstanceOf(ModelReward.class, twice.terms().get(0).reward());
    }

    @Test
    void regexWithDefaultAndGivenValues() {
        RewardSpec.Context ctx = RewardSpec.Context.of(dir);
        assertArrayEquals(new double[] {2.5, -1, -1},
                score(spec("regex: {pattern: \"\\\\d+$\", match: 2.5, no_match: -1}"), ctx, same("p", 3),
                        List.of("answer 42", "42 is it", "")));
        assertArrayEquals(new double[] {1, 0}, score(spec("{regex: {pattern: '(?i)^yes'}}"), ctx, same("p", 2),
                List.of("Yes, sure", "no, yes")));
    }

    @Test
    void lengthTowardsTargetInCodePointsAndLinearInTokens() {
        RewardSpec.Context ctx = RewardSpec.Context.of(dir).withTokens(s -> s.split(" ").length);
        // −|len − 4|/4; "😀😀" is 2 code points (4 UTF-16 chars)
        assertArrayEquals(new double[] {0, -0.5, -1, -0.5}, score(spec("{length: {target: 4}}"), ctx, same("p", 4),
                List.of("abcd", "ab", "abcdefgh", "😀😀")));
        // −0.25 · words
        assertArrayEquals(new double[] {-0.75, -0.25}, score(spec("{length: {scale: -0.25, unit: tokens}}"), ctx,
                same("p", 2), List.of("a b c", "abc")));
        assertArrayEquals(new double[] {0.5}, score(spec("{length: {scale: 0.25, unit: chars}}"), ctx,
                same("p", 1), List.of("ab")));
    }

    @Test
    void weightedSumArithmeticByHand() {
        RewardSpec s = spec("""
                sum:
                  - {regex: {pattern: "\\\\d+$"}, weight: 0.5}
                  - {length: {target: 10}, weight: -0.1}
                  - {exact: {}, weight: 2}
                  - {sum: [{regex: {pattern: "^2"}, weight: 1.0}], weight: 3}
                """);
        // "2":        0.5·1 − 0.1·(−0.9) + 2·1 + 3·1 = 0.5 + 0.09 + 2 + 3 = 5.59
        // "2 apples": 0.5·0 − 0.1·(−0.2) + 2·1 + 3·1 = 0.02 + 2 + 3      = 5.02
        // "three 3":  0.5·1 − 0.1·(−0.3) + 2·0 + 3·0 = 0.5 + 0.03         = 0.53
        double[] got = score(s, RewardSpec.Context.of(dir).withAnswers(ANSWERS), same("1+1=", 3),
                List.of("2", "2 apples", "three 3"));
        assertArrayEquals(new double[] {5.59, 5.02, 0.53}, got, 1e-12);
    }

    @Test
    void filterRejectsShortAndBannedAndScoresTheRestWithItsReward() {
        RewardSpec.Context ctx = RewardSpec.Context.of(dir).withAnswers(ANSWERS);
        Reward r = spec("filter: {min_length: 2, banned: [http, '<|endoftext|>']}\nof: {regex: {pattern: '!'}}\n").build(ctx);
        assertTrue(r.filters());
        assertArrayEquals(new double[] {NEG_INF, 1, NEG_INF, 0, NEG_INF},
                r.score(same("p", 5), List.of("a", "hi!", "see http!", "hey", "ok<|endoftext|>")));

        // a filter as a term (banned as one string, of as a short form): 2·filter(exact) + 1·len
        RewardSpec sum = spec("sum:\n  - {filter: {banned: x}, of: exact, weight: 2}\n  - {length: {scale: 1}, weight: 1}\n");
        assertArrayEquals(new double[] {3, NEG_INF, 1}, score(sum, ctx, same("1+1=", 3), List.of("2", "2 x", "3")));
    }

    @Test
    void userClassesByNameWithAndWithoutArgs() {
        RewardSpec.Context ctx = RewardSpec.Context.of(dir);
        assertArrayEquals(new double[] {2, 0},
                score(spec("{class: example.userreward.KeywordReward, args: {word: please, bonus: 2}}"), ctx,
                        same("p", 2), List.of("please do", "do it")));
        assertArrayEquals(new double[] {1, 0},
                score(spec("{class: example.userreward.QuestionReward}"), ctx, same("p", 2), List.of("why?", "because")));
        // 0.5·keyword(bonus 1.0 by default) + 1·question
        assertArrayEquals(new double[] {1.5, 0.5, 0},
                score(spec("sum:\n  - {class: example.userreward.KeywordReward, args: {word: hi}, weight: 0.5}\n"
                        + "  - {class: example.userreward.QuestionReward, weight: 1}\n"), ctx, same("p", 3),
                        List.of("hi?", "hi", "no")));
    }

    @Test
    void theJavadocExamplesRead() {
        RewardSpec sum = spec("""
                sum:
                  - {model: models/rm, weight: 1.0}
                  - {length: {target: 64, unit: tokens}, weight: 0.1}
                  - {regex: {pattern: "\\\\d+$"}, weight: 0.5}
                """);
        sum.validate(FILE, "reward");
        assertEquals(List.of(Path.of("/cfg/models/rm")), sum.paths(Path.of("/cfg")).stream().map(RewardSpec.PathRef::resolved).toList());
        RewardSpec filter = spec("filter: {min_length: 8, banned: [\"http://\", \"<|endoftext|>\"]}\nof: model:models/rm\n");
        filter.validate(FILE, "reward");
        assertEquals(List.of(new RewardSpec.PathRef("of", "models/rm", Path.of("/cfg/models/rm"))), filter.paths(Path.of("/cfg")));
        spec("{class: example.userreward.KeywordReward, args: {word: words.txt}}").validate(FILE, "reward");
    }

    // ------------------------------------------------------------------ JSON and paths

    @Test
    void jsonRoundTripThroughASavedConfig() throws IOException {
        String yaml = """
                reward:
                  sum:
                    - {model: models/rm, batch_size: 8, weight: 1.0}
                    - {length: {target: 64, unit: tokens}, weight: -0.1}
                    - {regex: {pattern: "\\\\d+$", match: 1, no_match: 0}, weight: 0.5}
                    - {filter: {min_length: 3, banned: [http]}, of: task:arith, weight: 2}
                    - {class: example.userreward.KeywordReward, args: {word: hi, list: [1, 2.5]}, weight: 1}
                    - {exact: {}, weight: 1}
                """;
        Holder read = YAML.readValue(yaml, Holder.class);
        read.validate(FILE);
        String saved = JSON.writeValueAsString(read);
        assertEquals("{\"reward\":{\"sum\":["
                + "{\"model\":\"models/rm\",\"batch_size\":8,\"weight\":1.0},"
                + "{\"length\":{\"target\":64,\"unit\":\"tokens\"},\"weight\":-0.1},"
                + "{\"regex\":{\"pattern\":\"\\\\d+$\",\"match\":1,\"no_match\":0},\"weight\":0.5},"
                + "{\"filter\":{\"min_length\":3,\"banned\":[\"http\"]},\"of\":\"task:arith\",\"weight\":2},"
                + "{\"class\":\"example.userreward.KeywordReward\",\"args\":{\"word\":\"hi\",\"list\":[1,2.5]},\"weight\":1},"
                + "{\"exact\":{},\"weight\":1}]}}", saved);
        Holder back = JSON.readValue(saved, Holder.class);
        assertEquals(read.reward(), back.reward());
        assertEquals(read.reward().hashCode(), back.reward().hashCode());
        assertEquals(saved, JSON.writeValueAsString(back));
        assertTrue(back.reward().isValid());

        // the short forms stay strings
        assertEquals("{\"reward\":\"task:arith\"}", JSON.writeValueAsString(new Holder(RewardSpec.of("task:arith"))));
        assertEquals(RewardSpec.of("exact"), JSON.readValue("{\"reward\":\"exact\"}", Holder.class).reward());
        // and a spec that does not read correctly still writes back what was written
        assertEquals("{\"reward\":{\"sum\":[{\"exact\":{}}]}}",
                JSON.writeValueAsString(YAML.readValue("reward: {sum: [{exact: {}}]}", Holder.class)));
    }

    @Test
    void parseReadsYamlOrJsonText() {
        assertEquals(RewardSpec.of("task:arith"), RewardSpec.parse("task:arith"));
        assertEquals(spec("{model: rm}"), RewardSpec.parse("{\"model\": \"rm\"}"));
        assertTrue(RewardSpec.parse("{model: rm}").isValid());
        UserError e = assertThrows(UserError.class, () -> RewardSpec.parse("{model: a, model: b}"));
        assertTrue(e.getMessage().contains("Duplicate field 'model'"), e.getMessage());
    }

    @Test
    void pathsListsModelFoldersAndWithAbsolutePathsRewritesOnlyThem() throws IOException {
        Path base = Path.of("/srv/configs");
        RewardSpec s = spec("""
                sum:
                  - {model: rm, weight: 1}
                  - {filter: {min_length: 1}, of: "model:../other/rm2", weight: 1}
                  - {model: /abs/rm3, weight: 1}
                  - {regex: {pattern: model}, weight: 1}
                """);
        assertEquals(List.of(
                new RewardSpec.PathRef("sum[0].model", "rm", Path.of("/srv/configs/rm")),
                new RewardSpec.PathRef("sum[1].of", "../other/rm2", Path.of("/srv/other/rm2")),
                new RewardSpec.PathRef("sum[2].model", "/abs/rm3", Path.of("/abs/rm3"))), s.paths(base));

        RewardSpec abs = s.withAbsolutePaths(base);
        assertEquals(JSON.readTree("""
                {"sum": [
                  {"model": "/srv/configs/rm", "weight": 1},
                  {"filter": {"min_length": 1}, "of": "model:/srv/other/rm2", "weight": 1},
                  {"model": "/abs/rm3", "weight": 1},
                  {"regex": {"pattern": "model"}, "weight": 1}]}"""), abs.toJson());
        // absolute now: another base changes nothing
        assertEquals(s.paths(base).stream().map(RewardSpec.PathRef::resolved).toList(),
                abs.paths(Path.of("/elsewhere")).stream().map(RewardSpec.PathRef::resolved).toList());
        // the original is unchanged
        assertEquals(Path.of("/x/rm"), s.paths(Path.of("/x")).get(0).resolved());

        assertEquals(List.of(new RewardSpec.PathRef("", "rm", Path.of("/srv/configs/rm"))), RewardSpec.of("model:rm").paths(base));
        assertEquals(RewardSpec.of("model:/srv/configs/rm"), RewardSpec.of("model:rm").withAbsolutePaths(base));
        assertEquals(List.of(), RewardSpec.of("exact").paths(base));
    }

    @Test
    void checkPathsNamesTheMissingFolder() throws IOException {
        Files.createDirectories(dir.resolve("rm"));
        RewardSpec ok = spec("sum: [{model: rm, weight: 1}, {model: " + dir.resolve("rm") + ", weight: 1}]");
        ok.checkPaths(FILE, "reward", dir);
        RewardSpec missing = spec("sum: [{model: rm, weight: 1}, {model: gone, weight: 1}]");
        ConfigError e = assertThrows(ConfigError.class, () -> missing.checkPaths(FILE, "reward", dir));
        assertEquals("reward.sum[1].model", e.field());
        assertEquals("folder not found: " + dir.resolve("gone"), e.problem());
        ConfigError shortForm = assertThrows(ConfigError.class, () -> RewardSpec.of("model:gone").checkPaths(FILE, "reward", dir));
        assertEquals("reward", shortForm.field());
    }

    // ------------------------------------------------------------------ errors

    static Stream<Arguments> badSpecs() {
        return Stream.of(
                Arguments.of("{sum: [{model: rm, weight: 1}, {length: {target: 4}}]}", "reward.sum[1].weight", "required, not set"),
                Arguments.of("{sum: [{model: rm, weight: '1'}]}", "reward.sum[0].weight", "expected a number, got \"1\""),
                Arguments.of("{sum: [{model: rm, weight: 1.0e999}]}", "reward.sum[0].weight", "must be finite"),
                Arguments.of("{sum: [{model: rm, wieght: 1}]}", "reward.sum[0].wieght", "unknown key 'wieght' (did you mean 'weight'?"),
                Arguments.of("{model: rm, weight: 1}", "reward.weight", "a weight belongs to a term of a sum"),
                Arguments.of("{sum: []}", "reward.sum", "at least one term"),
                Arguments.of("{sum: {model: rm}}", "reward.sum", "expected a list of terms"),
                Arguments.of("{sum: [exact]}", "reward.sum[0]", "expected a mapping with a weight"),
                Arguments.of("exactt", "reward", "unknown reward 'exactt'"),
                Arguments.of("42", "reward", "got 42"),
                Arguments.of("'task:'", "reward", "needs a task name"),
                Arguments.of("'model:  '", "reward", "needs a folder"),
                Arguments.of("[exact]", "reward", "got a list"),
                Arguments.of("{modle: rm}", "reward.modle", "did you mean 'model'?"),
                Arguments.of("{weight: 1}", "reward", "no reward named"),
                Arguments.of("{model: rm, regex: {pattern: x}}", "reward.regex", "exactly one of"),
                Arguments.of("{}", "reward", "empty mapping"),
                Arguments.of("{exact: {x: 1}}", "reward.exact.x", "exact takes no settings"),
                Arguments.of("{exact: true}", "reward.exact", "expected {}"),
                Arguments.of("{task: ''}", "reward.task", "expected a task name, got an empty string"),
                Arguments.of("{regex: {}}", "reward.regex.pattern", "required, not set"),
                Arguments.of("{regex: {pattern: '('}}", "reward.regex.pattern", "not a valid regular expression"),
                Arguments.of("{regex: {pattern: a, match: high}}", "reward.regex.match", "expected a number, got \"high\""),
                Arguments.of("{regex: {pattern: a, flags: i}}", "reward.regex.flags", "known: pattern, match, no_match"),
                Arguments.of("{length: {target: 2.5}}", "reward.length.target", "expected an integer, got 2.5"),
                Arguments.of("{length: {target: 0}}", "reward.length.target", "must be >= 1, got 0"),
                Arguments.of("{length: {target: 4, scale: 1}}", "reward.length.scale", "not both"),
                Arguments.of("{length: {}}", "reward.length", "needs target"),
                Arguments.of("{length: {target: 4, unit: words}}", "reward.length.unit", "expected one of chars, tokens, got \"words\""),
                Arguments.of("{length: 64}", "reward.length", "expected a mapping of length settings"),
                Arguments.of("{filter: {min_length: 3}}", "reward.of", "required, not set"),
                Arguments.of("{filter: {}, of: exact}", "reward.filter", "needs min_length or banned"),
                Arguments.of("{filter: {banned: ['']}, of: exact}", "reward.filter.banned[0]", "non-empty string"),
                Arguments.of("{filter: {min_length: -1}, of: exact}", "reward.filter.min_length", "must be >= 0"),
                Arguments.of("{filter: {min_length: 1}, of: {sum: [{exact: {}}]}}", "reward.of.sum[0].weight", "required, not set"),
                Arguments.of("{model: rm, batch_size: 0}", "reward.batch_size", "must be >= 1"),
                Arguments.of("{model: 3}", "reward.model", "expected a folder, got 3"),
                Arguments.of("{class: no.such.Reward}", "reward.class", "class no.such.Reward not found on the classpath"),
                Arguments.of("{class: java.lang.String}", "reward.class", "does not implement dev.raftj.reward.Reward"),
                Arguments.of("{class: dev.raftj.reward.Reward}", "reward.class", "is abstract"),
                Arguments.of("{class: example.userreward.HiddenReward}", "reward.class", "is not public"),
                Arguments.of("{class: dev.raftj.reward.RegexReward}", "reward.class",
                        "needs a public constructor taking no arguments or a Map<String, Object>"),
                Arguments.of("{class: example.userreward.QuestionReward, args: {a: 1}}", "reward.args", "takes no args"),
                Arguments.of("{class: example.userreward.KeywordReward, args: [1]}", "reward.args", "expected a mapping of arguments"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("badSpecs")
    void badSpecsAreConfigErrorsNamingTheField(String yaml, String field, String problem) {
        RewardSpec s = spec(yaml);
        assertFalse(s.isValid());
        ConfigError e = assertThrows(ConfigError.class, () -> s.validate(FILE, "reward"));
        assertEquals(field, e.field());
        assertTrue(e.problem().contains(problem), e.getMessage());
        assertEquals("run.yaml: field '" + field + "': " + e.problem(), e.getMessage());
        // build refuses it the same way
        UserError b = assertThrows(UserError.class, () -> s.build(RewardSpec.Context.of(dir)));
        assertEquals("field '" + field + "': " + e.problem(), b.getMessage());
    }

    @Test
    void configLoaderAddsTheLineOfTheFieldAtFault() throws IOException {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "reward:\n  sum:\n    - {model: rm, weight: 1.0}\n    - {length: {target: 2.5}, weight: 0.5}\n");
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.load(yaml, Holder.class));
        assertEquals(yaml + ":4: field 'reward.sum[1].length.target': expected an integer, got 2.5", e.getMessage());

        Path json = dir.resolve("run.json");
        Files.writeString(json, "{\"reward\": {\"sum\": [\n  {\"model\": \"rm\", \"weight\": 1},\n"
                + "  {\"regex\": {\"pattern\": \"x\"}, \"wieght\": 1}]}}\n");
        e = assertThrows(UserError.class, () -> ConfigLoader.load(json, Holder.class));
        assertTrue(e.getMessage().startsWith(json + ":3: field 'reward.sum[1].wieght': unknown key 'wieght' (did you mean 'weight'?"),
                e.getMessage());

        Files.writeString(yaml, "reward: {class: example.userreward.QuestionReward}\n");
        Holder ok = ConfigLoader.load(yaml, Holder.class);
        assertArrayEquals(new double[] {1}, ok.reward().build(RewardSpec.Context.forConfig(yaml)).score(List.of("p"), List.of("ok?")));
    }

    @Test
    void aUserClassWhoseConstructorThrowsIsWrappedWithTheField() throws IOException {
        Path file = dir.resolve("run.yaml");
        RewardSpec s = spec("sum:\n  - {exact: {}, weight: 1}\n  - {class: example.userreward.KeywordReward, args: {bonus: 1}, weight: 1}\n");
        s.validate(file, "reward"); // the class and its constructor are fine; its args are not
        ConfigError e = assertThrows(ConfigError.class,
                () -> s.build(RewardSpec.Context.forConfig(file).withAnswers(ANSWERS)));
        assertEquals("reward.sum[1].class", e.field());
        assertEquals(file + ": field 'reward.sum[1].class': new example.userreward.KeywordReward(args) failed: "
                + "java.lang.IllegalArgumentException: args.word is required", e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    @Test
    void buildSaysWhatTheContextLacks() {
        RewardSpec.Context bare = RewardSpec.Context.of(dir);
        UserError exact = assertThrows(UserError.class, () -> spec("sum: [{exact: {}, weight: 1}]").build(bare));
        assertTrue(exact.getMessage().startsWith("field 'reward.sum[0].exact': 'exact' needs"), exact.getMessage());
        UserError tokens = assertThrows(UserError.class, () -> spec("{length: {target: 3, unit: tokens}}").build(bare));
        assertTrue(tokens.getMessage().startsWith("field 'reward.length.unit': 'tokens' needs the policy's tokenizer"),
                tokens.getMessage());
        UserError filterTokens = assertThrows(UserError.class,
                () -> spec("{filter: {min_length: 3, unit: tokens}, of: exact}").build(bare.withAnswers(ANSWERS)));
        assertTrue(filterTokens.getMessage().startsWith("field 'reward.filter.unit':"), filterTokens.getMessage());
        UserError task = assertThrows(UserError.class, () -> RewardSpec.of("task:arith").build(bare.withField("rm")));
        assertTrue(task.getMessage().startsWith("field 'rm': task rewards are not available"), task.getMessage());
        UserError model = assertThrows(UserError.class, () -> spec("{model: nowhere}").build(bare));
        assertEquals("field 'reward.model': folder not found: " + dir.resolve("nowhere"), model.getMessage());
    }

    @Test
    void answersAreAskedOnceAndOnlyWhenExactIsUsed() {
        AtomicInteger asked = new AtomicInteger();
        RewardSpec.Context ctx = RewardSpec.Context.of(dir).withAnswers(() -> {
            asked.incrementAndGet();
            return ANSWERS;
        });
        spec("{regex: {pattern: x}}").build(ctx);
        assertEquals(0, asked.get());
        Reward r = spec("sum: [{exact: {}, weight: 1}, {filter: {min_length: 1}, of: exact, weight: 1}]").build(ctx);
        assertEquals(1, asked.get());
        assertArrayEquals(new double[] {2, 0}, r.score(List.of("1+1=", "2+3="), List.of("2", "4")));
    }
}

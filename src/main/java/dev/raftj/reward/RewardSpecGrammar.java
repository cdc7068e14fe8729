package dev.raftj.reward;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.raftj.core.ConfigError;
import dev.raftj.core.UserError;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.RewardModel;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A reward as a run configuration writes it: one of the short strings, or a mapping that names a
 * reward and composes others. Read from YAML or JSON (the {@code reward} field of a run config),
 * written back as the same JSON, checked by {@link #validate}, turned into a {@link Reward} by
 * {@link #build}.
 *
 * <h2>Grammar</h2>
 * <pre>
 * reward: exact           ExactAnswerReward: 1 if the response's answer equals the prompt's answer
 * reward: task:NAME       the reward of a built-in task, e.g. task:arith
 * reward: model:DIR       ModelReward: a Hugging Face reward model folder (1-label sequence classification)
 * reward: {...}           a mapping with exactly one of the keys below, plus that key's companions:
 *
 *   exact: {}                             as exact (it takes no settings: the answers come from the prompts)
 *   task: NAME                            as task:NAME
 *   model: DIR                            as model:DIR
 *     batch_size: 64                      texts per forward pass (optional, integer &gt;= 1)
 *   regex: {pattern: RE,                  RegexReward: match if RE (Java syntax, inline flags like (?i))
 *           match: 1.0, no_match: 0.0}      is found anywhere in the response, else no_match (both optional)
 *   length: {target: N, unit: chars}      LengthReward: −|len − N|/N (N an integer &gt;= 1)
 *   length: {scale: X, unit: chars}       LengthReward: X·len. Exactly one of target, scale. unit (optional):
 *                                           chars = Unicode code points (default), tokens = the policy's tokens
 *   sum: [TERM, ...]                      WeightedSumReward: Σ weight·reward over at least one TERM, where
 *                                           TERM = a reward mapping plus weight: W (required, finite), e.g.
 *                                           {model: rm, weight: 1.0}, {exact: {}, weight: 2}, {sum: [...], weight: 0.5}
 *   filter: {min_length: N,               FilteredReward: −∞ (never kept) for a response shorter than N
 *            banned: [S, ...],              (integer &gt;= 0) or containing a banned substring (non-empty strings;
 *            unit: chars}                   one string is a list of one); at least one of min_length, banned;
 *     of: REWARD                            the rest are scored by REWARD (required; a string or a mapping)
 *   class: com.example.MyReward           a user's Reward, found by name on the classpath (below)
 *     args: {...}                           given to its constructor as a Map&lt;String, Object&gt; (optional)
 * </pre>
 * A user class must be public and concrete, implement {@code dev.raftj.reward.Reward} and have a
 * public constructor taking a {@code Map<String, Object>} (used if present; it gets {@code args},
 * or an empty map when {@code args} is not written) or taking nothing (then {@code args} must not
 * be written). The values of {@code args} arrive as Java reads JSON: String, Integer, Long or
 * BigInteger, Double, Boolean, null, {@code List<Object>}, {@code Map<String, Object>}. The class is
 * looked up (not initialised) when the spec is read, and constructed by {@link #build}; an
 * exception from its constructor becomes an error naming the field.
 *
 * <p>For example:
 * <pre>
 * reward:
 *   sum:
 *     - {model: models/rm, weight: 1.0}
 *     - {length: {target: 64, unit: tokens}, weight: 0.1}
 *     - {regex: {pattern: "\\d+$"}, weight: 0.5}
 *
 * reward:
 *   filter: {min_length: 8, banned: ["http://", "&lt;|endoftext|&gt;"]}
 *   of: model:models/rm
 *
 * reward: {class: com.example.PolitenessReward, args: {lexicon: words.txt}}
 * </pre>
 * Strings are trimmed ({@code "task: arith"} is {@code task:arith}). Relative model folders
 * resolve against the configuration file's folder ({@link Context#base}). The spec is read
 * strictly: an unknown key, a missing required key (a term's {@code weight}, a filter's
 * {@code of}, a regex's {@code pattern}), a wrong type ({@code weight: "1"}, {@code target: 2.5}),
 * a value out of range, a bad regular expression, two reward keys in one mapping, a missing class
 * or one that is not a Reward — each is an error naming the field, e.g.
 * {@code reward.sum[1].weight} (see {@link #validate}).
 *
 * <p>The value keeps the JSON it was read from: {@link #toJson} gives it back unchanged, so a run's
 * saved {@code config.json} reads back to an equal spec. Reading never throws on bad content (a
 * Jackson creator cannot name the field at fault);

/**
 * The grammar of {@link RewardSpec}: the parsed tree (one record per kind of reward) and the
 * strict reader that turns a JSON value into it, naming the field of the first problem. Building
 * rewards from the tree, paths and the public API stay in RewardSpec.
 */
final class RewardSpecGrammar {
    private RewardSpecGrammar() {}

    // ---------------------------------------------------------------- the parsed tree

    enum Unit { CHARS, TOKENS }

    sealed interface Node permits Exact, Task, Model, Regex, Length, Sum, Filter, Custom, TermNode, Adversarial {}

    /** {@code adversarial}: the run's discriminator (RLGAF), supplied by {@link Context#adversarial}. */
    record Adversarial(String field) implements Node {}

    /** {@code field}: where the leaf is written, relative to the spec, for build errors. */
    record Exact(String field) implements Node {}

    record Task(String field, String name) implements Node {}

    record Model(String field, String dir, int batchSize) implements Node {}

    record Regex(Pattern pattern, double match, double noMatch) implements Node {}

    /** target null: linear with scale. */
    record Length(String unitField, Integer target, double scale, Unit unit) implements Node {}

    record Term(Node reward, double weight) {}

    record Sum(List<Term> terms) implements Node {}

    record Filter(String unitField, int minLength, List<String> banned, Unit unit, Node of) implements Node {}

    /** args null: not written. */
    record Custom(String field, Class<?> type, Constructor<?> constructor, JsonNode args)
            implements Node {}

    /** A problem found while reading, at a field relative to the spec. */
    static final class Problem extends RuntimeException {
        final String field;

        Problem(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }

    // ---------------------------------------------------------------- reading

    /** A reward at {@code at}; {@code term}: a term of a sum, which has a weight besides. */
    static Node parse(JsonNode n, String at, boolean term) {
        if (term && !n.isObject()) {
            throw new Problem(at, "expected a mapping with a weight, e.g. {model: DIR, weight: 1.0}, got " + describe(n));
        }
        if (n.isTextual()) {
            return parseShort(n.asText().strip(), at);
        }
        if (!n.isObject()) {
            throw new Problem(at, "expected " + RewardSpec.FORMS + ", got " + describe(n));
        }
        List<String> kinds = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (RewardSpec.KINDS.contains(key)) {
                kinds.add(key);
            }
        }
        if (kinds.size() > 1) {
            throw new Problem(join(at, kinds.get(1)), "'" + kinds.get(0) + "' and '" + kinds.get(1)
                    + "' in one mapping: a reward mapping has exactly one of " + String.join(", ", RewardSpec.KINDS)
                    + " (combine rewards with sum)");
        }
        if (kinds.isEmpty()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!COMPANIONS.contains(key)) {
                    String guess = dev.raftj.core.Names.closest(key, RewardSpec.KINDS);
                    throw new Problem(join(at, key), "unknown key '" + key + "' ("
                            + (guess != null ? "did you mean '" + guess + "'? " : "")
                            + "a reward mapping has one of " + String.join(", ", RewardSpec.KINDS) + ")");
                }
            }
            throw new Problem(at, (n.isEmpty() ? "empty mapping" : "no reward named")
                    + ": a reward mapping has one of the keys " + String.join(", ", RewardSpec.KINDS));
        }
        String kind = kinds.get(0);
        List<String> allowed = new ArrayList<>(switch (kind) {
            case "model" -> List.of("model", "batch_size");
            case "filter" -> List.of("filter", "of");
            case "class" -> List.of("class", "args");
            default -> List.of(kind);
        });
        if (term) {
            allowed.add("weight");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                String hint = key.equals("weight") ? "a weight belongs to a term of a sum; " : "";
                throw unknownKey(at, key, allowed, hint);
            }
        }
        String f = join(at, kind);
        JsonNode v = n.get(kind);
        Node node = switch (kind) {
            case "exact" -> parseExact(v, f);
            case "adversarial" -> {
                if (!v.isObject() || !v.isEmpty()) {
                    throw new Problem(f, "expected {} (adversarial takes its settings from the discriminator: section),"
                            + " got " + describe(v));
                }
                yield new Adversarial(f);
            }
            case "task" -> new Task(f, text(v, f, "a task name"));
            case "model" -> parseModel(n, at, f);
            case "regex" -> parseRegex(v, f);
            case "length" -> parseLength(v, f);
            case "sum" -> parseSum(v, f);
            case "filter" -> parseFilter(n, at, f);
            case "class" -> parseClass(n, at, f);
            default -> throw new IllegalStateException(kind);
        };
        if (term) {
            JsonNode w = n.get("weight");
            if (w == null || w.isNull()) {
                throw new Problem(join(at, "weight"), "required, not set (each term of a sum has a weight)");
            }
            return new TermNode(node, number(w, join(at, "weight")));
        }
        return node;
    }

    /** Keys that go with a reward key and never name a reward themselves. */
    static final List<String> COMPANIONS = List.of("weight", "batch_size", "of", "args");

    /** Carries a term's weight out of {@link #parse}; unwrapped by {@link #parseSum}. */
    record TermNode(Node reward, double weight) implements Node {}

    static Node parseShort(String s, String at) {
        if (s.equals("exact")) {
            return new Exact(at);
        }
        if (s.equals("adversarial")) {
            return new Adversarial(at);
        }
        if (s.startsWith("task:")) {
            String name = s.substring("task:".length()).strip();
            if (name.isEmpty()) {
                throw new Problem(at, "'task:' needs a task name, e.g. task:arith");
            }
            return new Task(at, name);
        }
        if (s.startsWith("model:")) {
            String dir = s.substring("model:".length()).strip();
            if (dir.isEmpty()) {
                throw new Problem(at, "'model:' needs a folder, e.g. model:models/rm");
            }
            checkPath(dir, at);
            return new Model(at, dir, 64);
        }
        throw new Problem(at, "unknown reward '" + s + "': expected " + RewardSpec.FORMS);
    }

    static Node parseExact(JsonNode v, String f) {
        if (!v.isObject()) {
            throw new Problem(f, "expected {} (exact takes no settings: the answers come from the prompts), got " + describe(v));
        }
        if (!v.isEmpty()) {
            String key = v.fieldNames().next();
            throw new Problem(join(f, key), "unknown key '" + key + "' (exact takes no settings: write exact: {})");
        }
        return new Exact(f);
    }

    static Node parseModel(JsonNode n, String at, String f) {
        String dir = text(n.get("model"), f, "a folder");
        checkPath(dir, f);
        int batchSize = 64;
        if (n.has("batch_size")) {
            String bf = join(at, "batch_size");
            batchSize = integer(n.get("batch_size"), bf);
            if (batchSize < 1) {
                throw new Problem(bf, "must be >= 1, got " + batchSize);
            }
        }
        return new Model(f, dir, batchSize);
    }

    static Node parseRegex(JsonNode v, String f) {
        settings(v, f, "regex", "{pattern: \"\\\\d+$\"}", List.of("pattern", "match", "no_match"));
        String pf = join(f, "pattern");
        JsonNode p = v.get("pattern");
        if (p == null || p.isNull()) {
            throw new Problem(pf, "required, not set (the regular expression to look for)");
        }
        String regex = text(p, pf, "a regular expression");
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new Problem(pf, "not a valid regular expression: " + e.getDescription() + " at index " + e.getIndex()
                    + " of \"" + regex + "\"");
        }
        double match = v.has("match") ? number(v.get("match"), join(f, "match")) : 1.0;
        double noMatch = v.has("no_match") ? number(v.get("no_match"), join(f, "no_match")) : 0.0;
        return new Regex(pattern, match, noMatch);
    }

    static Node parseLength(JsonNode v, String f) {
        settings(v, f, "length", "{target: 64}", List.of("target", "scale", "unit"));
        boolean hasTarget = v.has("target");
        boolean hasScale = v.has("scale");
        if (hasTarget && hasScale) {
            throw new Problem(join(f, "scale"), "give target or scale, not both");
        }
        if (!hasTarget && !hasScale) {
            throw new Problem(f, "needs target (score −|len − target|/target) or scale (score scale·len)");
        }
        Unit unit = unit(v, f);
        if (hasTarget) {
            String tf = join(f, "target");
            int target = integer(v.get("target"), tf);
            if (target < 1) {
                throw new Problem(tf, "must be >= 1, got " + target);
            }
            return new Length(join(f, "unit"), target, 0, unit);
        }
        return new Length(join(f, "unit"), null, number(v.get("scale"), join(f, "scale")), unit);
    }

    static Node parseSum(JsonNode v, String f) {
        if (!v.isArray()) {
            throw new Problem(f, "expected a list of terms, e.g. [{model: DIR, weight: 1.0}], got " + describe(v));
        }
        if (v.isEmpty()) {
            throw new Problem(f, "a sum needs at least one term");
        }
        List<Term> terms = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            TermNode t = (TermNode) parse(v.get(i), f + "[" + i + "]", true);
            terms.add(new Term(t.reward(), t.weight()));
        }
        return new Sum(List.copyOf(terms));
    }

    static Node parseFilter(JsonNode n, String at, String f) {
        JsonNode v = n.get("filter");
        settings(v, f, "filter", "{min_length: 8}", List.of("min_length", "banned", "unit"));
        if (!v.has("min_length") && !v.has("banned")) {
            throw new Problem(f, "needs min_length or banned (a filter with neither rejects nothing)");
        }
        int minLength = 0;
        if (v.has("min_length")) {
            String mf = join(f, "min_length");
            minLength = integer(v.get("min_length"), mf);
            if (minLength < 0) {
                throw new Problem(mf, "must be >= 0, got " + minLength);
            }
        }
        List<String> banned = new ArrayList<>();
        if (v.has("banned")) {
            String bf = join(f, "banned");
            JsonNode b = v.get("banned");
            if (b.isTextual()) {
                banned.add(nonEmpty(b, bf));
            } else if (b.isArray()) {
                for (int i = 0; i < b.size(); i++) {
                    banned.add(nonEmpty(b.get(i), bf + "[" + i + "]"));
                }
            } else {
                throw new Problem(bf, "expected a list of strings, got " + describe(b));
            }
        }
        Unit unit = unit(v, f);
        JsonNode of = n.get("of");
        String ofField = join(at, "of");
        if (of == null || of.isNull()) {
            throw new Problem(ofField, "required, not set (the reward that scores what the filter keeps)");
        }
        return new Filter(join(f, "unit"), minLength, List.copyOf(banned), unit, parse(of, ofField, false));
    }

    static Node parseClass(JsonNode n, String at, String f) {
        String name = text(n.get("class"), f, "a class name");
        JsonNode args = n.get("args");
        if (args != null && !args.isObject()) {
            throw new Problem(join(at, "args"), "expected a mapping of arguments, got " + describe(args));
        }
        Class<?> type;
        try {
            type = Class.forName(name, false, classLoader());
        } catch (ClassNotFoundException e) {
            throw new Problem(f, "class " + name + " not found on the classpath");
        } catch (LinkageError e) {
            throw new Problem(f, "class " + name + " cannot be loaded: " + e);
        }
        if (!Reward.class.isAssignableFrom(type)) {
            throw new Problem(f, "class " + name + " does not implement " + Reward.class.getName());
        }
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            throw new Problem(f, "class " + name + " is abstract; name a concrete class");
        }
        if (!Modifier.isPublic(type.getModifiers())) {
            throw new Problem(f, "class " + name + " is not public");
        }
        Constructor<?> withMap = constructor(f, type, Map.class);
        Constructor<?> plain = constructor(f, type);
        if (withMap == null && plain == null) {
            throw new Problem(f, "class " + name + " needs a public constructor taking no arguments"
                    + " or a Map<String, Object> of args");
        }
        if (withMap == null && args != null) {
            throw new Problem(join(at, "args"), "class " + name + " takes no args (it has no public constructor"
                    + " taking a Map<String, Object>)");
        }
        return new Custom(f, type, withMap != null ? withMap : plain, args);
    }

    static Constructor<?> constructor(String f, Class<?> type, Class<?>... parameters) {
        try {
            return type.getConstructor(parameters);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (LinkageError e) {
            throw new Problem(f, "class " + type.getName() + " cannot be loaded: " + e);
        }
    }

    static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : RewardSpec.class.getClassLoader();
    }

    /** A mapping of a kind's settings, with only the known keys. */
    static void settings(JsonNode v, String f, String kind, String example, List<String> known) {
        if (!v.isObject()) {
            throw new Problem(f, "expected a mapping of " + kind + " settings, e.g. " + example + ", got " + describe(v));
        }
        for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw unknownKey(f, key, known, "");
            }
        }
    }

    static Problem unknownKey(String at, String key, List<String> known, String hint) {
        String guess = dev.raftj.core.Names.closest(key, known);
        return new Problem(join(at, key), "unknown key '" + key + "' (" + hint
                + (guess != null ? "did you mean '" + guess + "'? " : "") + "known: " + String.join(", ", known) + ")");
    }

    static Unit unit(JsonNode v, String f) {
        if (!v.has("unit")) {
            return Unit.CHARS;
        }
        String uf = join(f, "unit");
        JsonNode u = v.get("unit");
        if (u.isTextual() && u.asText().equals("chars")) {
            return Unit.CHARS;
        }
        if (u.isTextual() && u.asText().equals("tokens")) {
            return Unit.TOKENS;
        }
        throw new Problem(uf, "expected one of chars, tokens, got " + describe(u));
    }

    static String text(JsonNode v, String f, String what) {
        if (v == null || !v.isTextual()) {
            throw new Problem(f, "expected " + what + ", got " + describe(v));
        }
        String s = v.asText().strip();
        if (s.isEmpty()) {
            throw new Problem(f, "expected " + what + ", got an empty string");
        }
        return s;
    }

    static String nonEmpty(JsonNode v, String f) {
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new Problem(f, "must be a non-empty string, got " + describe(v));
        }
        return v.asText();
    }

    static double number(JsonNode v, String f) {
        if (!v.isNumber()) {
            throw new Problem(f, "expected a number, got " + describe(v));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
            throw new Problem(f, "must be finite, got " + d);
        }
        return d;
    }

    static int integer(JsonNode v, String f) {
        if (!v.isIntegralNumber()) {
            throw new Problem(f, "expected an integer, got " + describe(v));
        }
        if (!v.canConvertToInt()) {
            throw new Problem(f, "out of range, got " + v.asText());
        }
        return v.intValue();
    }

    static void checkPath(String dir, String f) {
        try {
            Path.of(dir);
        } catch (InvalidPathException e) {
            throw new Problem(f, "not a valid path: " + e.getMessage());
        }
    }

    /** What a value is, as ConfigLoader says it: "\"ten\"", "2.5", "a list", "a mapping", "nothing". */
    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isTextual()) {
            return "\"" + v.asText() + "\"";
        }
        if (v.isArray()) {
            return "a list";
        }
        if (v.isObject()) {
            return "a mapping";
        }
        return v.asText(); // numbers, true/false, null
    }

    /** ("reward", "sum[1].weight") → "reward.sum[1].weight"; an empty part is left out. */
    static String join(String prefix, String field) {
        if (prefix == null || prefix.isEmpty()) {
            return field == null ? "" : field;
        }
        if (field == null || field.isEmpty()) {
            return prefix;
        }
        return prefix + "." + field;
    }

}

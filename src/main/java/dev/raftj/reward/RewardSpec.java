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
import dev.raftj.reward.RewardSpecGrammar.*;
import static dev.raftj.reward.RewardSpecGrammar.*;
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
 * Jackson creator cannot name the field at fault); the first problem is kept and raised by
 * {@link #validate} (as a {@link ConfigError} with the full field path) or by {@link #build}.
 */
public final class RewardSpec {

    /** The keys that name a reward, one per mapping, in the grammar's order. */
    public static final List<String> KINDS = List.of("exact", "task", "model", "regex", "length", "sum", "filter", "class",
            "adversarial");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
    static final String FORMS = "exact, adversarial, task:NAME, model:DIR or a mapping with one of the keys "
            + String.join(", ", KINDS);

    private final JsonNode json;
    private final Node root;            // null when the spec has a problem
    private final String problemField;  // relative to the spec ("" = the spec itself), when root is null
    private final String problem;

    private RewardSpec(JsonNode json) {
        this.json = json;
        Node parsed = null;
        String field = null;
        String message = null;
        try {
            parsed = RewardSpecGrammar.parse(json, "", false);
        } catch (Problem p) {
            field = p.field;
            message = p.getMessage();
        }
        this.root = parsed;
        this.problemField = field;
        this.problem = message;
    }

    /** The spec a JSON value (a string or a mapping) writes; never throws (see {@link #validate}). */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static RewardSpec fromJson(JsonNode json) {
        return new RewardSpec(json == null ? NullNode.getInstance() : json.deepCopy());
    }

    /** One of the short forms: {@code "exact"}, {@code "task:NAME"}, {@code "model:DIR"}. */
    public static RewardSpec of(String text) {
        return fromJson(TextNode.valueOf(text));
    }

    /**
     * Reads a spec from YAML or JSON text, e.g. a command-line option: {@code "task:arith"},
     * {@code "{model: rm}"}. Bad YAML syntax is a {@link UserError}; bad content is kept for
     * {@link #validate}, as with {@link #fromJson}.
     */
    public static RewardSpec parse(String text) {
        try {
            return fromJson(YAML.readTree(text));
        } catch (JsonProcessingException e) {
            throw new UserError("reward '" + text + "': not valid YAML or JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The JSON this spec was read from (a copy), as a configuration writes it. */
    @JsonValue
    public JsonNode toJson() {
        return json.deepCopy();
    }

    /** True if the spec reads correctly (a user class was found); {@link #validate} says why not. */
    public boolean isValid() {
        return root != null;
    }

    /**
     * Throws a {@link ConfigError} for the spec's first problem, naming the field in full:
     * {@code validate(file, "reward")} gives e.g. "field 'reward.sum[1].weight': required, not
     * set". Does not look at the filesystem; {@link #checkPaths} does.
     *
     * @param file   the configuration file, for the message
     * @param prefix where the spec sits in the configuration, e.g. "reward"
     */
    public void validate(Path file, String prefix) {
        if (root == null) {
            throw new ConfigError(file, join(prefix, problemField), problem);
        }
    }

    /**
     * A model folder the spec names.
     *
     * @param field    where it is written, relative to the spec: "" for the form {@code model:DIR},
     *                 "model", "sum[0].model", "of.model", ...
     * @param written  the folder as written
     * @param resolved the absolute, normalised folder (relative ones against the base)
     */
    public record PathRef(String field, String written, Path resolved) {}

    /**
     * The model folders the spec refers to, in the order they are written; relative ones
     * resolved against {@code base} (the configuration file's folder; null = the working
     * directory). Throws like {@link #validate} if the spec has a problem.
     */
    public List<PathRef> paths(Path base) {
        requireValid();
        List<PathRef> out = new ArrayList<>();
        collectPaths(root, base, out);
        return List.copyOf(out);
    }

    /**
     * {@link #validate}, then checks that every model folder exists: a {@link ConfigError} such
     * as "field 'reward.sum[0].model': folder not found: /abs/models/rm" otherwise. For a CLI to
     * run before any work.
     */
    public void checkPaths(Path file, String prefix, Path base) {
        validate(file, prefix);
        for (PathRef ref : paths(base)) {
            if (!Files.isDirectory(ref.resolved())) {
                throw new ConfigError(file, join(prefix, ref.field()), "folder not found: " + ref.resolved());
            }
        }
    }

    /**
     * The same spec with every model folder absolute (resolved against {@code base}, normalised),
     * each written in the form it had ({@code model:DIR} or {@code model: DIR}); everything else
     * is unchanged. For saving a run's configuration where it stays valid from any folder.
     */
    public RewardSpec withAbsolutePaths(Path base) {
        requireValid();
        return new RewardSpec(absolute(json.deepCopy(), base));
    }

    /**
     * Builds the reward. Model folders resolve against {@link Context#base}; model rewards load on
     * {@link Context#device}; {@code exact} takes its answers from {@link Context#answers};
     * {@code task:NAME} asks {@link Context#tasks}. A folder named twice is loaded once. A failure
     * (a missing folder, a context without what a leaf needs, a user class whose constructor
     * throws) is a {@link ConfigError} (a {@link UserError} when the context has no file) naming
     * the field, with the original exception as its cause.
     */
    public Reward build(Context ctx) {
        Objects.requireNonNull(ctx, "ctx");
        if (root == null) {
            throw ctx.error(problemField, problem, null);
        }
        return new Builder(ctx).build(root);
    }

    /**
     * What leaf rewards need from the caller. Build one with {@link #of} or {@link #forConfig}
     * and the {@code with...} methods; what a spec does not use may be left out (null).
     *
     * @param base    folder that relative model folders resolve against; null = the working directory
     * @param file    the configuration file, named in build errors (null: none)
     * @param device  where model rewards load; null = CPU
     * @param answers expected answer by exact prompt text, for {@code exact}; asked once per build,
     *                only if the spec uses {@code exact}
     * @param tasks   the reward of a task by name, for {@code task:NAME} (the CLI passes
     *                {@code name -> Tasks.get(name).newReward(device)})
     * @param tokens  token count of a text (the policy's tokenizer), for {@code unit: tokens}
     * @param field   where the spec sits in the configuration, for messages; default "reward"
     */
    public record Context(Path base, Path file, Device device, Supplier<Map<String, String>> answers,
                          Function<String, Reward> tasks, ToIntFunction<String> tokens, String field,
                          Supplier<Reward> adversarial) {

        public Context {
            field = field != null ? field : "reward";
        }

        /** Relative folders against {@code base}; nothing else set. */
        public static Context of(Path base) {
            return new Context(base, null, null, null, null, null, null, null);
        }

        /** Relative folders against the folder of {@code configFile}, which errors name. */
        public static Context forConfig(Path configFile) {
            Path parent = configFile.toAbsolutePath().getParent();
            return new Context(parent, configFile, null, null, null, null, null, null);
        }

        public Context withDevice(Device device) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        public Context withAnswers(Supplier<Map<String, String>> answers) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        public Context withAnswers(Map<String, String> answers) {
            return withAnswers(() -> answers);
        }

        public Context withTasks(Function<String, Reward> tasks) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        public Context withTokens(ToIntFunction<String> tokens) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        /** The run's discriminator, for {@code adversarial} (an alignment run with a {@code discriminator:} section). */
        public Context withAdversarial(Supplier<Reward> adversarial) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        public Context withField(String field) {
            return new Context(base, file, device, answers, tasks, tokens, field, adversarial);
        }

        /** A build error at a field relative to the spec. */
        RuntimeException error(String relative, String problem, Throwable cause) {
            String where = join(field, relative);
            UserError e = file != null ? new ConfigError(file, where, problem)
                    : new UserError("field '" + where + "': " + problem);
            if (cause != null) {
                e.initCause(cause);
            }
            return e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RewardSpec other && json.equals(other.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    /** The JSON text. */
    @Override
    public String toString() {
        return json.toString();
    }

    private void requireValid() {
        if (root == null) {
            throw new UserError("field '" + join("reward", problemField) + "': " + problem);
        }
    }

    // ---------------------------------------------------------------- paths

    private static void collectPaths(Node n, Path base, List<PathRef> out) {
        if (n instanceof Model m) {
            out.add(new PathRef(m.field(), m.dir(), resolve(base, m.dir())));
        } else if (n instanceof Sum s) {
            for (Term t : s.terms()) {
                collectPaths(t.reward(), base, out);
            }
        } else if (n instanceof Filter fl) {
            collectPaths(fl.of(), base, out);
        }
    }

    /** Whether the spec uses the run's discriminator ({@code adversarial}), alone or inside a sum or filter. */
    public boolean usesAdversarial() {
        return root != null && usesAdversarial(root);
    }

    private static boolean usesAdversarial(Node n) {
        if (n instanceof Adversarial) return true;
        if (n instanceof Sum s) return s.terms().stream().anyMatch(t -> usesAdversarial(t.reward()));
        if (n instanceof Filter fl) return usesAdversarial(fl.of());
        return false;
    }

    static Path resolve(Path base, String dir) {
        Path p = Path.of(dir);
        if (!p.isAbsolute() && base != null) {
            p = base.resolve(p);
        }
        return p.toAbsolutePath().normalize();
    }

    /** Rewrites the model folders of a valid spec's JSON in place. */
    private static JsonNode absolute(JsonNode n, Path base) {
        if (n.isTextual()) {
            String s = n.asText().strip();
            return s.startsWith("model:")
                    ? TextNode.valueOf("model:" + resolve(base, s.substring("model:".length()).strip())) : n;
        }
        ObjectNode o = (ObjectNode) n;
        if (o.has("model")) {
            o.put("model", resolve(base, o.get("model").asText().strip()).toString());
        } else if (o.has("sum")) {
            for (JsonNode term : o.get("sum")) {
                absolute(term, base);
            }
        } else if (o.has("filter")) {
            o.set("of", absolute(o.get("of"), base));
        }
        return o;
    }

    // ---------------------------------------------------------------- building

    private static final class Builder {
        private final Context ctx;
        private final Map<Path, Reward> models = new HashMap<>();
        private Map<String, String> answers;

        Builder(Context ctx) {
            this.ctx = ctx;
        }

        Reward build(Node n) {
            if (n instanceof Exact e) {
                return ExactAnswerReward.fromMap(answers(e.field()));
            }
            if (n instanceof Adversarial a) {
                Reward d = ctx.adversarial() == null ? null : ctx.adversarial().get();
                if (d == null) {
                    throw ctx.error(a.field(), "'adversarial' is the discriminator of an alignment run (raft or grpo,"
                            + " with a discriminator: section); there is none here", null);
                }
                return d;
            }
            if (n instanceof Task t) {
                return task(t);
            }
            if (n instanceof Model m) {
                return model(m);
            }
            if (n instanceof Regex r) {
                return new RegexReward(r.pattern(), r.match(), r.noMatch());
            }
            if (n instanceof Length l) {
                ToIntFunction<String> length = length(l.unit(), l.unitField());
                return l.target() != null ? LengthReward.towardsTarget(l.target(), length) : LengthReward.linear(l.scale(), length);
            }
            if (n instanceof Sum s) {
                List<WeightedSumReward.Term> terms = new ArrayList<>();
                for (Term t : s.terms()) {
                    terms.add(WeightedSumReward.term(build(t.reward()), t.weight()));
                }
                return new WeightedSumReward(terms);
            }
            if (n instanceof Filter f) {
                return new FilteredReward(build(f.of()), f.minLength(), length(f.unit(), f.unitField()), f.banned());
            }
            if (n instanceof Custom c) {
                return custom(c);
            }
            throw new IllegalStateException("unknown node " + n);
        }

        private Map<String, String> answers(String field) {
            if (answers == null) {
                if (ctx.answers() == null) {
                    throw ctx.error(field, "'exact' needs each prompt's expected answer, and none are available here", null);
                }
                answers = ctx.answers().get(); // its own errors (a prompt without an answer) stand as they are
                if (answers == null) {
                    throw ctx.error(field, "'exact' needs each prompt's expected answer, and none are available here", null);
                }
            }
            return answers;
        }

        private Reward task(Task t) {
            if (ctx.tasks() == null) {
                throw ctx.error(t.field(), "task rewards are not available here (task '" + t.name() + "')", null);
            }
            Reward r;
            try {
                r = ctx.tasks().apply(t.name());
            } catch (RuntimeException e) {
                throw ctx.error(t.field(), e.getMessage(), e);
            }
            if (r == null) {
                throw ctx.error(t.field(), "task '" + t.name() + "' has no reward", null);
            }
            return r;
        }

        private Reward model(Model m) {
            Path dir = resolve(ctx.base(), m.dir());
            Reward cached = models.get(dir);
            if (cached != null) {
                return cached;
            }
            if (!Files.isDirectory(dir)) {
                throw ctx.error(m.field(), "folder not found: " + dir, null);
            }
            Reward r;
            try {
                RewardModel rm = ctx.device() != null ? RewardModel.load(dir, ctx.device(), ScalarType.Float) : RewardModel.load(dir);
                r = new ModelReward(rm, Tokenizer.load(dir, rm.config().vocabSize, rm.config().file), m.batchSize());
            } catch (RuntimeException e) {
                throw ctx.error(m.field(), "cannot load the reward model in " + dir + ": " + e.getMessage(), e);
            }
            models.put(dir, r);
            return r;
        }

        private static Map<String, Object> args(JsonNode args) {
            if (args == null) {
                return Collections.unmodifiableMap(new LinkedHashMap<>());
            }
            return Collections.unmodifiableMap(JSON.convertValue(args, new TypeReference<LinkedHashMap<String, Object>>() {}));
        }

        private ToIntFunction<String> length(Unit unit, String unitField) {
            if (unit == Unit.CHARS) {
                return LengthReward.CODE_POINTS;
            }
            if (ctx.tokens() == null) {
                throw ctx.error(unitField, "'tokens' needs the policy's tokenizer, which is not available here"
                        + " (use chars)", null);
            }
            return ctx.tokens();
        }

        private Reward custom(Custom c) {
            String name = c.type().getName();
            try {
                Object r = c.constructor().getParameterCount() == 1
                        ? c.constructor().newInstance(args(c.args())) // a fresh map for each build
                        : c.constructor().newInstance();
                return (Reward) r;
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw ctx.error(c.field(), "new " + name + "(" + (c.constructor().getParameterCount() == 1 ? "args" : "")
                        + ") failed: " + cause, cause);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                throw ctx.error(c.field(), "cannot construct " + name + ": " + e, e);
            }
        }
    }
}

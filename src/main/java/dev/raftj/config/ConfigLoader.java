package dev.raftj.config;

import dev.raftj.core.ConfigError;
import dev.raftj.core.UserError;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a configuration record from YAML ({@code .yaml}, {@code .yml}, or any other name) or JSON
 * ({@code .json}), strictly: unknown keys, wrong types, duplicate keys and fractional integers are
 * errors, each turned into a {@link UserError} naming the file, the line and the field, e.g.
 * <pre>
 * run.yaml:4: unknown key 'temprature' in 'sampling' (did you mean 'temperature'? known: k, ...)
 * run.yaml:3: field 'sampling.k': expected an integer, got "ten"
 * run.yaml:3: field 'sampling.k': must be >= 1, got 0
 * </pre>
 * Enum values are case-insensitive. A record that is {@link Validated} is validated, and a
 * {@link ConfigError} it raises gets the line where the field is written.
 */
public final class ConfigLoader {

    private static final ObjectMapper JSON = configure(JsonMapper.builder()).build();
    private static final ObjectMapper YAML = configure(YAMLMapper.builder()).build();

    private ConfigLoader() {}

    public static <T> T load(Path file, Class<T> type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": configuration file not found");
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, file, type);
    }

    /** Parses configuration text; {@code file} names it in messages and chooses YAML or JSON. */
    public static <T> T parse(String text, Path file, Class<T> type) {
        ObjectMapper mapper = isJson(file) ? JSON : YAML;
        if (mapper == YAML) refuseAnchorsAndAliases(file, text);
        T config;
        try {
            config = mapper.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw translate(file, text, mapper.getFactory(), e);
        }
        if (config == null) {
            throw new UserError(file + ": the configuration is empty");
        }
        if (config instanceof Validated validated) {
            try {
                validated.validate(file);
            } catch (ConfigError e) {
                long line = lineOf(mapper.getFactory(), text, e.field());
                throw line > 0 ? e.atLine(line) : e;
            }
        }
        return config;
    }

    /**
     * The configuration with some fields replaced, e.g. {"raft.stages": 3, "out": "/tmp/x"} (dotted
     * paths as users write them; a null value removes the field, so its default applies), then
     * validated again. {@code source} names where the changes came from in messages.
     */
    public static <T> T withChanges(T config, Map<String, Object> changes, Path source) {
        ObjectNode tree = JSON.valueToTree(config);
        changes.forEach((path, value) -> {
            String[] parts = path.split("\\.");
            ObjectNode node = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                node = node.get(parts[i]) instanceof ObjectNode o ? o : node.putObject(parts[i]);
            }
            if (value == null) node.remove(parts[parts.length - 1]);
            else node.set(parts[parts.length - 1], JSON.valueToTree(value));
        });
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) config.getClass();
        T changed;
        try {
            changed = JSON.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw translate(source, tree.toString(), JSON.getFactory(), e);
        }
        if (changed instanceof Validated v) v.validate(source);
        return changed;
    }

    /** The error with the line where its field is written in its file, when the file exists and has it. */
    public static ConfigError withLine(ConfigError e) {
        if (e.line() > 0 || e.file() == null || !Files.isRegularFile(e.file())) return e;
        try {
            String text = Files.readString(e.file(), StandardCharsets.UTF_8);
            long line = lineOf((isJson(e.file()) ? JSON : YAML).getFactory(), text, e.field());
            return line > 0 ? e.atLine(line) : e;
        } catch (IOException | RuntimeException ignored) {
            return e;
        }
    }

    /** A configuration as a JSON tree, every field written (defaults included). */
    public static JsonNode tree(Object config) {
        return JSON.valueToTree(config);
    }

    /**
     * Refuses to resume a run whose checkpoint {@code trainer} was made (its {@code saved} "config" node, read
     * as {@code type}) with a configuration that differs from {@code current} outside {@code resumable}; the
     * error names each differing field and {@code configFile}.
     */
    public static <T> void requireSameConfig(Path trainer, JsonNode saved, Class<T> type, T current,
                                             Set<String> resumable, Path configFile, ObjectMapper json) {
        T before;
        try {
            before = json.treeToValue(saved, type);
        } catch (IOException | RuntimeException e) {
            throw new UserError(trainer + ": unreadable run configuration: " + e.getMessage(), e);
        }
        List<String> diff = differences(tree(before), tree(current), resumable);
        if (!diff.isEmpty()) {
            throw new UserError(configFile + ": not the configuration this run's checkpoint was made"
                    + " with (checkpoint vs now): " + String.join("; ", diff));
        }
    }

    /**
     * The fields whose values differ between two configuration trees, as "field 'sft.lr': 0.001 vs
     * 0.002", skipping the dotted paths in {@code ignore}; empty when they agree.
     */
    public static List<String> differences(JsonNode a, JsonNode b, Set<String> ignore) {
        List<String> out = new ArrayList<>();
        diff("", a, b, ignore, out);
        return out;
    }

    private static void diff(String path, JsonNode a, JsonNode b, Set<String> ignore, List<String> out) {
        if (ignore.contains(path)) return;
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) diff(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), ignore, out);
        } else if (!java.util.Objects.equals(a, b)) {
            out.add("field '" + path + "': " + a + " vs " + b);
        }
    }

    private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> B configure(B builder) {
        return builder
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY) // stop: "\n" as a list of one
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)         // k: 2.5 is an error, not 2
                .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /**
     * YAML anchors ({@code &name}) and aliases ({@code *name}, {@code <<: *name}) are refused, with
     * the line: Jackson would read an alias as the plain string "name" (a path named after it), and
     * a configuration is short enough to write out. Syntax errors are left to the real parse.
     */
    static void refuseAnchorsAndAliases(Path file, String text) {
        org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
        try {
            for (org.yaml.snakeyaml.events.Event ev : new org.yaml.snakeyaml.Yaml(options).parse(new java.io.StringReader(text))) {
                if (!(ev instanceof org.yaml.snakeyaml.events.NodeEvent node) || node.getAnchor() == null) continue;
                long line = ev.getStartMark() == null ? -1 : ev.getStartMark().getLine() + 1;
                String what = ev instanceof org.yaml.snakeyaml.events.AliasEvent
                        ? "YAML alias '*" + node.getAnchor() + "' is not supported (nor are anchors): write the value out"
                        : "YAML anchor '&" + node.getAnchor() + "' is not supported (nor are aliases): write the value out"
                                + " where it is used";
                throw line > 0 ? UserError.line(file, line, what) : new UserError(file + ": " + what);
            }
        } catch (org.yaml.snakeyaml.error.YAMLException syntax) {
            // reported, with its line, by the parse that follows
        }
    }

    private static boolean isJson(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    /**
     * Turns a Jackson exception into a message naming file, line and field. The line is where the
     * field at fault is written when that can be found (Jackson's own location is where its parser
     * stopped, which after skipping an unknown key's value can be a later line).
     */
    static UserError translate(Path file, String text, JsonFactory factory, JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
        String field = e instanceof JsonMappingException m ? fieldPath(m.getPath()) : "";
        long line = lineOf(e.getLocation());
        boolean duplicate = original.startsWith("Duplicate field '"); // the second one is at fault
        if (!field.isEmpty() && !duplicate) {
            long fieldLine = lineOf(factory, text, field);
            line = fieldLine > 0 ? fieldLine : line;
        }
        String where = file + (line > 0 ? ":" + line : "") + ": ";
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = fieldPath(u.getPath().subList(0, u.getPath().size() - 1));
            List<String> known = sortedNames(u.getKnownPropertyIds());
            String suggestion = closest(u.getPropertyName(), known);
            return new UserError(where + "unknown key '" + u.getPropertyName() + "'"
                    + (parent.isEmpty() ? "" : " in '" + parent + "'")
                    + " (" + (suggestion != null ? "did you mean '" + suggestion + "'? " : "")
                    + "known: " + String.join(", ", known) + ")", e);
        }
        if (duplicate) {
            String key = original.substring("Duplicate field '".length(), original.indexOf('\'', 17));
            return new UserError(where + "duplicate key '" + key + "'"
                    + (field.isEmpty() ? "" : " in '" + field + "'"), e);
        }
        if (original.startsWith("No content to map")) {
            return new UserError(file + ": the configuration is empty", e);
        }
        if (original.startsWith("Trailing token")) {
            return new UserError(where + "unexpected content after the end of the configuration", e);
        }
        if (e instanceof ValueInstantiationException v) {
            String cause = v.getCause() != null ? v.getCause().getMessage() : original;
            return new UserError(where + (field.isEmpty() ? "" : "field '" + field + "': ") + cause, e);
        }
        if (e instanceof MismatchedInputException m) {
            String expected = expected(m.getTargetType());
            String got = e instanceof InvalidFormatException f ? describeValue(f.getValue()) : describeToken(m);
            if (field.isEmpty()) {
                if (got.equals("nothing")) {
                    return new UserError(file + ": the configuration is empty", e);
                }
                return new UserError(where + "expected " + expected + " at the top level, got " + got, e);
            }
            return new UserError(where + "field '" + field + "': expected " + expected + ", got " + got, e);
        }
        if (e instanceof JsonMappingException) {
            return new UserError(where + (field.isEmpty() ? "" : "field '" + field + "': ") + original, e);
        }
        String format = factory instanceof YAMLFactory ? "YAML" : "JSON";
        return new UserError(where + "invalid " + format + ": " + syntaxProblem(original), e);
    }

    /**
     * The problem sentences of a parser message, without SnakeYAML's location lines
     * (" in 'reader', line 4, column 2:") and source excerpts with carets, which are indented.
     */
    static String syntaxProblem(String message) {
        List<String> sentences = new ArrayList<>();
        for (String line : message.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                sentences.add(line.strip());
            }
        }
        return sentences.isEmpty() ? message.strip() : String.join("; ", sentences);
    }

    private static long lineOf(JsonLocation location) {
        return location == null ? -1 : location.getLineNr();
    }

    /** "sampling.stop[1]" from Jackson's reference chain. */
    static String fieldPath(List<JsonMappingException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : path) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** "an integer", "a number", "one of local, global", ... for a target type. */
    static String expected(Class<?> type) {
        if (type == null) {
            return "a different value";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type.isEnum()) {
            return "one of " + String.join(", ", enumNames(type));
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "a mapping of settings";
    }

    /** The names users write for an enum's constants: @JsonProperty values, else lower case. */
    static List<String> enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            String name = ((Enum<?>) constant).name();
            try {
                JsonProperty p = type.getField(name).getAnnotation(JsonProperty.class);
                names.add(p != null && !p.value().isEmpty() ? p.value() : name.toLowerCase(Locale.ROOT));
            } catch (NoSuchFieldException impossible) {
                names.add(name.toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    private static String describeValue(Object value) {
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        return String.valueOf(value);
    }

    /** What the parser was looking at when the input did not match: "a list", "\"ten\"", "2.5". */
    private static String describeToken(MismatchedInputException e) {
        if (!(e.getProcessor() instanceof JsonParser parser)) {
            return "something else";
        }
        JsonToken token = parser.currentToken();
        try {
            if (token == null) {
                return "nothing";
            }
            switch (token) {
                case START_ARRAY: return "a list";
                case START_OBJECT: case FIELD_NAME: return "a mapping";
                case VALUE_STRING: return "\"" + parser.getText() + "\"";
                case VALUE_NUMBER_INT: case VALUE_NUMBER_FLOAT: case VALUE_TRUE: case VALUE_FALSE:
                    return parser.getText();
                case VALUE_NULL: return "null";
                default: return token.asString() != null ? token.asString() : token.toString();
            }
        } catch (IOException ex) {
            return token.toString();
        }
    }

    private static List<String> sortedNames(Collection<Object> ids) {
        TreeSet<String> names = new TreeSet<>();
        if (ids != null) {
            for (Object id : ids) {
                names.add(String.valueOf(id));
            }
        }
        return new ArrayList<>(names);
    }

    /** The known name within edit distance 2 of a misspelt one, or null. */
    static String closest(String name, List<String> known) {
        return dev.raftj.core.Names.closest(name, known);
    }

    /**
     * The 1-based line where a field ("sampling.k", "thresholds[2]") is written, or −1 if it is
     * not in the text.
     */
    static long lineOf(JsonFactory factory, String text, String field) {
        String pointer = "/" + field.replace(".", "/").replaceAll("\\[(\\d+)]", "/$1");
        try (JsonParser parser = factory.createParser(text)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                boolean namesAField = token == JsonToken.FIELD_NAME
                        || (parser.getParsingContext().inArray() && token != JsonToken.END_ARRAY);
                if (namesAField && parser.getParsingContext().pathAsPointer().toString().equals(pointer)) {
                    return parser.currentTokenLocation().getLineNr();
                }
            }
        } catch (IOException e) {
            return -1; // the text parsed once already; a failure here only loses the line number
        }
        return -1;
    }
}

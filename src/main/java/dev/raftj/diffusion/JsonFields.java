package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Reading a model folder's JSON files field by field, every bad field named with its file. */
final class JsonFields {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonFields() {}

    static JsonNode read(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new UserError(file + ": expected a JSON object");
            return n;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UserError(file + ": file not found");
        } catch (IOException e) {
            throw new UserError(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    static int intField(Path file, JsonNode n, String name, Integer dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            if (dflt == null) throw UserError.field(file, name, "missing");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw UserError.field(file, name, "expected an integer, got " + v);
        return v.intValue();
    }

    static double doubleField(Path file, JsonNode n, String name, double dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw UserError.field(file, name, "expected a number, got " + v);
        return v.doubleValue();
    }

    static String textField(Path file, JsonNode n, String name, String dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw UserError.field(file, name, "expected a string, got " + v);
        return v.asText();
    }

    static boolean boolField(Path file, JsonNode n, String name, boolean dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw UserError.field(file, name, "expected true or false, got " + v);
        return v.booleanValue();
    }

    /** Writes {@code value} as indented JSON to a temp file, then renames it over {@code file}. */
    static void write(Path file, Object value) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(value) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}

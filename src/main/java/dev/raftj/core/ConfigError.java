package dev.raftj.core;

import java.nio.file.Path;

/**
 * A configuration field with a bad value: "FILE: field 'FIELD': PROBLEM", or with the line where
 * the field is written, "FILE:LINE: field 'FIELD': PROBLEM" ({@link ConfigLoader} adds the line).
 * {@code field} is the dotted path users write, e.g. "sampling.k".
 */
public final class ConfigError extends UserError {

    private final Path file;
    private final String field;
    private final String problem;
    private final long line;

    public ConfigError(Path file, String field, String problem) {
        this(file, field, problem, -1);
    }

    private ConfigError(Path file, String field, String problem, long line) {
        super(file + (line > 0 ? ":" + line : "") + ": field '" + field + "': " + problem);
        this.file = file;
        this.field = field;
        this.problem = problem;
        this.line = line;
    }

    /** The same error, located at a line of the file. */
    public ConfigError atLine(long line) {
        return new ConfigError(file, field, problem, line);
    }

    public Path file() {
        return file;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    /** 1-based line, or −1 if unknown (e.g. the field is not written in the file). */
    public long line() {
        return line;
    }
}

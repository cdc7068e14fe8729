package dev.raftj.core;

import java.nio.file.Path;

/**
 * Bad input from the user (a file, a flag, a configuration field). The CLI prints the message
 * and exits non-zero without a stack trace; library callers catch it like any exception.
 * Messages name the file and, where known, the line and the field at fault.
 */
public class UserError extends RuntimeException {

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: field 'NAME': PROBLEM" */
    public static UserError field(Path file, String field, String problem) {
        return new UserError(file + ": field '" + field + "': " + problem);
    }

    /** "FILE:LINE: PROBLEM" */
    public static UserError line(Path file, long line, String problem) {
        return new UserError(file + ":" + line + ": " + problem);
    }
}

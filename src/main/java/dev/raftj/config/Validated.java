package dev.raftj.config;

import dev.raftj.core.ConfigError;
import java.nio.file.Path;

/** A configuration that can check its own values; {@link ConfigLoader} calls it after loading. */
public interface Validated {

    /**
     * Throws a {@link ConfigError} for the first bad field.
     *
     * @param file the file the configuration came from, for messages
     */
    void validate(Path file);
}

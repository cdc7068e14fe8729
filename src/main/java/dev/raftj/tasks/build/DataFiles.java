package dev.raftj.tasks.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;

/** Writes a task's generated data files, each whole or not at all (temp file, then rename). */
final class DataFiles {
    private DataFiles() {}

    static void write(Path dir, Map<String, String> files) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path tmp = dir.resolve(e.getKey() + ".tmp");
            Files.writeString(tmp, e.getValue());
            Files.move(tmp, dir.resolve(e.getKey()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.printf(Locale.ROOT, "wrote %s (%,d bytes)%n", dir.resolve(e.getKey()), e.getValue().length());
        }
    }
}

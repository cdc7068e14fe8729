package dev.raftj.tasks;

import dev.raftj.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Copies a task's classpath resources ({@code raftj/tasks/<task>/<file>}) to a cache folder so that
 * code that reads paths (CausalLM.load, PromptDataset.read) can use them.
 *
 * <p>The folder is {@code <cache>/<task>-<hash>/}, where the hash (SHA-256, 16 hex digits) covers
 * every file's name and bytes: new resources get a new folder and an old folder is never stale.
 * {@code <cache>} is the system property {@code raftj.tasks.cache}, else
 * {@code ${java.io.tmpdir}/raftj-tasks}. The folder appears whole or not at all: files are written
 * into a temp folder beside it, which is then renamed; when two processes race, the loser deletes
 * its copy and uses the winner's.
 */
public final class TaskResources {
    /** System property naming the cache root. */
    public static final String CACHE_PROPERTY = "raftj.tasks.cache";

    private static final Map<String, Path> MATERIALISED = new LinkedHashMap<>();

    private TaskResources() {}

    public static Path cacheRoot() {
        String prop = System.getProperty(CACHE_PROPERTY);
        return (prop != null && !prop.isBlank() ? Path.of(prop)
                : Path.of(System.getProperty("java.io.tmpdir"), "raftj-tasks")).toAbsolutePath();
    }

    /**
     * Materialises the task's files that exist on the classpath (others in {@code files} are
     * skipped: a task may be used before its policy is built) and returns the folder.
     */
    public static synchronized Path materialise(String task, List<String> files) {
        Map<String, byte[]> contents = read(task, files);
        if (contents.isEmpty()) {
            throw new IllegalStateException("no resources for task '" + task + "' on the classpath under "
                    + prefix(task));
        }
        String hash = hash(contents);
        Path root = cacheRoot();
        Path dir = root.resolve(task + "-" + hash);
        Path known = MATERIALISED.get(dir.toString());
        if (known != null && complete(known, contents)) return known;
        try {
            if (!complete(dir, contents)) {
                if (Files.exists(dir)) deleteTree(dir); // damaged by hand: rebuild
                Files.createDirectories(root);
                Path tmp = Files.createTempDirectory(root, task + "-" + hash + ".tmp-");
                try {
                    for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                        Path f = tmp.resolve(e.getKey());
                        Files.createDirectories(f.getParent());
                        Files.write(f, e.getValue());
                    }
                    try {
                        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                    } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException raced) {
                        if (!complete(dir, contents)) throw raced;
                    }
                } finally {
                    deleteTree(tmp);
                }
            }
        } catch (IOException e) {
            throw new UserError(dir + ": cannot write the files of task '" + task + "': " + e
                    + " (set -D" + CACHE_PROPERTY + "=DIR to use another folder)", e);
        }
        MATERIALISED.put(dir.toString(), dir);
        return dir;
    }

    /** Whether the classpath holds {@code raftj/tasks/<task>/<file>}. */
    public static boolean exists(String task, String file) {
        return loader().getResource(prefix(task) + file) != null;
    }

    private static Map<String, byte[]> read(String task, List<String> files) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String f : files) {
            try (InputStream in = loader().getResourceAsStream(prefix(task) + f)) {
                if (in != null) out.put(f, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read resource " + prefix(task) + f, e);
            }
        }
        return out;
    }

    /** True when every file is present with the right size (the folder is only ever renamed in whole). */
    private static boolean complete(Path dir, Map<String, byte[]> contents) {
        if (!Files.isDirectory(dir)) return false;
        try {
            for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                Path f = dir.resolve(e.getKey());
                if (!Files.isRegularFile(f) || Files.size(f) != e.getValue().length) return false;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String hash(Map<String, byte[]> contents) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Long.toString(e.getValue().length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue());
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String prefix(String task) {
        return "raftj/tasks/" + task + "/";
    }

    private static ClassLoader loader() {
        ClassLoader l = Thread.currentThread().getContextClassLoader();
        return l != null ? l : TaskResources.class.getClassLoader();
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}

package dev.raftj.tasks;

import dev.raftj.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A built-in task whose data and checkpoints ship as classpath resources under
 * raftj/tasks/NAME/ and are materialised to a cache folder on first use.
 */
abstract class ShippedTask implements Task {
    private Path dir;

    /** The files of a shipped base policy (under policy/). */
    static final List<String> POLICY_FILES = List.of("config.json", "generation_config.json", "model.safetensors",
            "tokenizer.json");

    /** The resource files, relative to raftj/tasks/NAME/. */
    abstract List<String> shippedFiles();

    /** {@code files} with the folder {@code folder/} in front. */
    static List<String> under(String folder, List<String> files) {
        return files.stream().map(f -> folder + "/" + f).toList();
    }

    synchronized Path dir() {
        if (dir == null) dir = TaskResources.materialise(name(), shippedFiles());
        return dir;
    }

    @Override
    public Path trainFile() {
        return dir().resolve("train.jsonl");
    }

    @Override
    public Path evalFile() {
        return dir().resolve("eval.jsonl");
    }

    /** A shipped checkpoint folder; a clear error when it was never built. */
    Path shipped(String folder, String what) {
        Path p = dir().resolve(folder);
        if (!Files.isRegularFile(p.resolve("model.safetensors"))) {
            throw new UserError("task '" + name() + "' has no " + what
                    + " on the classpath (build one with: raftj pretrain --task " + name() + ")");
        }
        return p;
    }
}

package dev.raftj.align;

import dev.raftj.core.UserError;
import dev.raftj.model.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run folder's DIR/checkpoint, replaced whole after each stage: the new one is assembled in
 * DIR/checkpoint.next (its marker file written last), the old one moved to DIR/checkpoint.old,
 * the new one renamed into place, the old one deleted. {@link #recover} finishes or undoes a swap
 * cut short by a kill. Shared by the language-model runs ({@link RunState}) and the diffusion runs.
 */
public final class CheckpointSwap {
    /** Writes a checkpoint's files into the folder it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path folder) throws IOException;
    }

    private CheckpointSwap() {}

    public static Path target(Path dir) {
        return dir.resolve("checkpoint");
    }

    /** Assembles a checkpoint with {@code writer} (which must write {@code marker} last) and swaps it in. */
    public static void replace(Path dir, Writer writer) {
        Path tmp = dir.resolve("checkpoint.next");
        try {
            Checkpoint.deleteTree(tmp);
            Files.createDirectories(tmp);
            writer.write(tmp);
            Path target = target(dir), old = dir.resolve("checkpoint.old");
            Checkpoint.deleteTree(old);
            if (Files.exists(target)) Files.move(target, old);
            Files.move(tmp, target);
            Checkpoint.deleteTree(old);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot write checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * A kill between the two renames of {@link #replace} leaves checkpoint.old (the previous stage)
     * and a complete checkpoint.next (its {@code marker} is written last) but no checkpoint/: the
     * newer one is taken. A half-written checkpoint.next is discarded.
     */
    public static void recover(Path dir, String marker) {
        Path target = target(dir), next = dir.resolve("checkpoint.next"), old = dir.resolve("checkpoint.old");
        try {
            if (!Files.exists(target)) {
                if (Files.exists(next.resolve(marker))) Files.move(next, target);
                else if (Files.exists(old)) Files.move(old, target);
            }
            Checkpoint.deleteTree(next);
            Checkpoint.deleteTree(old);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot recover the checkpoint: " + e.getMessage(), e);
        }
    }
}

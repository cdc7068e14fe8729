package dev.raftj.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Shared helpers: the reference checkpoints, random prompts, process facts from /proc. */
final class BenchSupport {
    private BenchSupport() {}

    /**
     * The reference folder: system property {@code raftj.reference}, else {@code src/test/resources/reference}
     * (working directory = repo root) or {@code ../src/test/resources/reference} (working directory = benchmarks/).
     */
    static Path referenceDir() {
        String prop = System.getProperty("raftj.reference");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop).toAbsolutePath().normalize();
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException("-Draftj.reference=" + prop + ": no such folder (" + p + ")");
            }
            return p;
        }
        List<Path> tried = new ArrayList<>();
        for (String c : new String[] {"src/test/resources/reference", "../src/test/resources/reference"}) {
            Path p = Path.of(c).toAbsolutePath().normalize();
            if (Files.isDirectory(p)) return p;
            tried.add(p);
        }
        throw new IllegalStateException("reference checkpoints not found; tried " + tried
                + " (run from the repo root or benchmarks/, or pass -Draftj.reference=DIR)");
    }

    static Path model(String name) {
        Path p = referenceDir().resolve(name);
        if (!Files.isRegularFile(p.resolve("config.json"))) {
            throw new IllegalStateException(p + ": no config.json (unknown model '" + name + "'?)");
        }
        return p;
    }

    /** {@code n} prompts of {@code minLen..maxLen} random token ids in [2, vocab) (0 = EOS, 1 = pad). */
    static List<int[]> randomPrompts(int n, int minLen, int maxLen, int vocab, long seed) {
        Random rnd = new Random(seed);
        List<int[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] p = new int[minLen + rnd.nextInt(maxLen - minLen + 1)];
            for (int j = 0; j < p.length; j++) p[j] = 2 + rnd.nextInt(vocab - 2);
            out.add(p);
        }
        return out;
    }

    /** Resident set size of this process in kB (VmRSS in /proc/self/status), −1 if unreadable. */
    static long rssKb() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElse(-1);
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Peak resident set size of this process in kB (VmHWM in /proc/self/status), −1 if unreadable. */
    static long peakRssKb() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith("VmHWM:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElse(-1);
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Number of OS threads in this process (entries of /proc/self/task), −1 if unreadable. */
    static int osThreads() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            return (int) s.count();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** One line saying how threads are set up, printed by each benchmark fork. */
    static String threadReport(int requested) {
        return "# raftj bench: OPENBLAS_NUM_THREADS=" + System.getenv("OPENBLAS_NUM_THREADS")
                + " OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS")
                + " OMP_WAIT_POLICY=" + System.getenv("OMP_WAIT_POLICY")
                + " torch.get_num_threads=" + org.bytedeco.pytorch.global.torch.get_num_threads()
                + " blas_threads=" + org.bytedeco.openblas.presets.openblas_nolapack.blas_get_num_threads()
                + " (requested " + requested + ", cores " + Runtime.getRuntime().availableProcessors() + ")"
                + " os_threads=" + osThreads();
    }
}

package dev.raftj.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Samples this process's resident memory (VmRSS, with RssAnon and RssFile) every few milliseconds
 * on a daemon thread and keeps the highest sample of each phase the caller names, so a peak can
 * be attributed to the part of the work that made it (VmHWM only says how high, not when).
 */
final class PeakSampler implements AutoCloseable {
    /** Highest VmRSS sample of a phase, with its anonymous and file-backed parts, in kB. */
    record Peak(long rssKb, long anonKb, long fileKb, int samples) {}

    private final Map<String, Peak> peaks = new LinkedHashMap<>();
    private volatile String phase = "start";
    private volatile boolean running = true;
    private final Thread thread;

    PeakSampler(long periodMillis) {
        thread = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "peak-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** From now on samples count toward {@code name} (the phase just ended gets one last sample). */
    void phase(String name) {
        sample();
        phase = name;
        sample();
    }

    synchronized Map<String, Peak> peaks() {
        return new LinkedHashMap<>(peaks);
    }

    private synchronized void sample() {
        long rss = 0, anon = 0, file = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) rss = kb(l);
                else if (l.startsWith("RssAnon:")) anon = kb(l);
                else if (l.startsWith("RssFile:")) file = kb(l);
            }
        } catch (IOException e) {
            return;
        }
        Peak p = peaks.get(phase);
        int n = p == null ? 1 : p.samples() + 1;
        if (p == null || rss > p.rssKb()) peaks.put(phase, new Peak(rss, anon, file, n));
        else peaks.put(phase, new Peak(p.rssKb(), p.anonKb(), p.fileKb(), n));
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}

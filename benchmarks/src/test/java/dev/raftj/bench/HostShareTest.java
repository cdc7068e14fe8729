package dev.raftj.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostShareTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "perf-27406.map | java", "'   ' | java", "c2, level 4 | java", "interpreter | java", "libjvm.so | jvm",
        "libjnitorch.so | jni_glue", "libtorch_cpu.so | native_compute", "libopenblas_nolapack.so.0 | native_compute",
        "libm.so.6 | native_compute", "libc.so.6 | libc", "libstdc++.so.6.0.30 | libc", "[kernel.kallsyms] | kernel",
        "libfoo.so | other"})
    void sortsSharedObjectsIntoHostNativeAndShared(String source, String category) {
        assertEquals(category, HostShare.category(source));
    }

    @Test
    void sumsABlockByCategory() {
        Map<String, Double> c = HostShare.categories(List.of(
                "  51.64%  libopenblas_nolapack.so.0", "  25.87%            libtorch_cpu.so", "   5.35%   libjvm.so",
                "   4.03%             perf-27406.map", "   2.98%                           ", "   0.53%   libjnitorch.so",
                "   4.16%          [kernel.kallsyms]", "   3.73%                  libc.so.6", " 100.00%  <totals>"));
        assertEquals(51.64 + 25.87, c.get("native_compute"), 1e-9);
        assertEquals(4.03 + 2.98, c.get("java"), 1e-9);
        assertEquals(5.35, c.get("jvm"), 1e-9);
        assertEquals(0.53, c.get("jni_glue"), 1e-9);
        assertEquals(4.16, c.get("kernel"), 1e-9);
        assertEquals(3.73, c.get("libc"), 1e-9);
        assertEquals(0.0, c.get("other"), 1e-9);
    }

    @Test
    void findsEachRunsDistributionBlock() {
        Map<String, List<String>> b = HostShare.blocks(List.of(
                "# Benchmark: dev.raftj.bench.GenerateBench.generate",
                "# Parameters: (model = gpt2-tiny, threads = 1)",
                "....[Hottest Methods (after inlining)]......",
                "  10.33%  libopenblas_nolapack.so.0  sgemm_incopy_ZEN",
                "....[Distribution by Source]....",
                "  60.00%  libtorch_cpu.so",
                "  40.00%  libjvm.so",
                "..........",
                " 100.00%  <totals>",
                "# Parameters: (model = llama-tiny, threads = 1)",
                "....[Distribution by Source]....",
                " 100.00%  libtorch_cpu.so",
                "......"));
        assertEquals(List.of("GenerateBench.generate (model = gpt2-tiny, threads = 1)",
                "GenerateBench.generate (model = llama-tiny, threads = 1)"), List.copyOf(b.keySet()));
        assertEquals(List.of("  60.00%  libtorch_cpu.so", "  40.00%  libjvm.so"), b.get("GenerateBench.generate (model = gpt2-tiny, threads = 1)"));
    }

    @Test
    void theBenchmarkThreadAloneAndTheJvmsBackgroundThreads() {
        Map<String, Double> d = HostShare.threadCategories(List.of(
                "# Overhead|Command        |Shared Object", " 50.00% |dev.raftj.bench|libtorch_cpu.so",
                " 10.00% |dev.raftj.bench|[JIT] tid 5", " 5.00%  |dev.raftj.bench|libjvm.so", " 5.00%  |dev.raftj.bench|libjnitorch.so",
                " 20.00% |C2 CompilerThre|libjvm.so", " 10.00% |java           |libc.so.6"), "dev.raftj.bench");
        assertEquals(100 * 10 / 70.0, d.get("java"), 1e-9); // the thread's 70% of all samples is its 100%
        assertEquals(100 * 5 / 70.0, d.get("jvm"), 1e-9);
        assertEquals(100 * 5 / 70.0, d.get("jni_glue"), 1e-9);
        assertEquals(100 * 50 / 70.0, d.get("native_compute"), 1e-9);
        assertEquals(70.0, d.get("thread_percent_of_all"), 1e-9);
        assertEquals(20.0, d.get("jvm_background_percent_of_all"), 1e-9);
    }

    @Test
    void matchesPerfFilesToRunsByBenchmarkAndParameters() {
        String file = "dev.raftj.bench.GenerateBench.generate-Throughput-blas--1-model-gpt2-tiny-threads-1.threads.txt";
        assertTrue(HostShare.sameRun(file, "GenerateBench.generate (blas = -1, model = gpt2-tiny, threads = 1)"));
        assertFalse(HostShare.sameRun(file, "GenerateBench.generate (blas = -1, model = gpt2-tiny, threads = 0)"));
        assertFalse(HostShare.sameRun(file, "GenerateBench.generate (blas = -1, model = llama-tiny, threads = 1)"));
        assertFalse(HostShare.sameRun(file, "Gpt2SmallBench.generate33 (blas = -1, threads = 1)"));
    }
}

package dev.raftj.torch;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small conveniences over the JavaCPP LibTorch API: Java arrays in and out, threads. */
public final class Torch {
    /** JavaCPP's system property for its resident-memory poll (see the static block below). */
    public static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    static {
        turnOffJavaCppMemoryPoll();
    }

    /**
     * Sets {@link #MAX_PHYSICAL_BYTES} to 0 unless the user set it. JavaCPP reads it once, when its
     * Pointer class initializes, so this must run before any tensor exists: this class does it when
     * it loads, and the CLI's entry point first thing. With the poll on, every new Tensor object
     * reads the process's resident size (benchmarks' MemoryPollBench: 3.3 vs 6.0 µs per small op;
     * 6% of a tiny decode's main-thread samples), and it acts only past its default limit, 4x the Java
     * heap, in practice the machine's RAM, where a run fails anyway. What it would do there is
     * garbage-collect lost tensors; raftj frees its tensors with PointerScopes instead.
     */
    public static void turnOffJavaCppMemoryPoll() {
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) System.setProperty(MAX_PHYSICAL_BYTES, "0");
    }

    private static volatile boolean threadsSet;
    private static volatile int intraOpThreads = 1;
    /** System property raftj.blas.threads: a fixed OpenBLAS thread count instead of the rule (0 = the rule). */
    private static volatile int forcedBlasThreads;
    /** OpenBLAS threads now set (−1: not yet set by raftj). */
    private static int blasThreads = -1;
    /** Whether OpenBLAS's idle workers sleep quickly (OPENBLAS_THREAD_TIMEOUT ≤ 8), see {@link #gemmRows}. */
    private static final boolean BLAS_WORKERS_SLEEP = quickSleep(System.getenv("OPENBLAS_THREAD_TIMEOUT"));

    /**
     * GEMMs of at least this many multiply-adds run on {@link #init}'s threads inside OpenBLAS;
     * smaller ones on one thread. Measured on this machine kind (2 cores, benchmarks/BlasThreads,
     * results in benchmarks/results/blas-threads-2026-12-02/): a second BLAS thread makes
     * [512×64]·[64×256] (8.4M, tiny decode) and [64×768]·[768×3072] (151M, 124M decode) 1.7-1.9×
     * faster, 4.2M 1.2×, 1-2M 1.15×, while at ≤ 0.5M it gains nothing or loses (a worker's wake-up
     * is tens of µs). An earlier 32M threshold was set after a second thread with OpenBLAS's default
     * sleep timeout had cost the tiny models 4×; with the launcher's OPENBLAS_THREAD_TIMEOUT=4 it does not.
     */
    public static final long BLAS_PARALLEL_MACS = 1L << 22;

    private Torch() {}

    /**
     * Chooses the thread counts once, on purpose (DESIGN.md: oversubscription made a tiny step
     * 100x slower): LibTorch intra-op threads = {@code threads} (0 = available cores), OpenBLAS
     * single-threaded until a forward with large GEMMs asks for more ({@link #gemmRows}).
     */
    public static synchronized void init(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        // OpenBLAS reads OPENBLAS_NUM_THREADS when it loads; the launcher script and the test
        // runner export it as 1 (and OPENBLAS_THREAD_TIMEOUT=4). Say so when it is missing.
        if (!"1".equals(System.getenv("OPENBLAS_NUM_THREADS"))) {
            System.getLogger("raftj").log(System.Logger.Level.DEBUG,
                    "OPENBLAS_NUM_THREADS is not 1: BLAS threads may oversubscribe the cores");
        }
        torch.set_num_threads(n);
        intraOpThreads = n;
        threadsSet = true;
        forcedBlasThreads = Integer.getInteger("raftj.blas.threads", 0);
        setBlasThreads(forcedBlasThreads > 0 ? forcedBlasThreads : 1);
    }

    /**
     * Sets OpenBLAS's threads for the GEMMs that follow, by their size: a forward of {@code rows}
     * rows whose largest body product is [rows × inner]·[inner × outer] (GPT-2: d × 4d) uses
     * {@link #init}'s thread count when that product has at least {@link #BLAS_PARALLEL_MACS}
     * multiply-adds, else one thread. The backward of that forward runs with the same setting.
     * More than one BLAS thread needs {@code OPENBLAS_THREAD_TIMEOUT} ≤ 8 in the environment
     * (the launcher sets 4): OpenBLAS's default makes an idle worker spin for ~0.1 s after each
     * product, stealing a core from LibTorch's own threads; measured here that made 124M
     * generation 5× slower, not 2× faster. Without it, BLAS stays on one thread.
     */
    public static void gemmRows(long rows, long inner, long outer) {
        int forced = forcedBlasThreads;
        setBlasThreads(forced > 0 ? forced
                : BLAS_WORKERS_SLEEP && rows * inner * outer >= BLAS_PARALLEL_MACS ? intraOpThreads : 1);
    }

    /** OpenBLAS threads (1 unless {@link #gemmRows} chose more). */
    public static synchronized int blasThreads() {
        return Math.max(blasThreads, 1);
    }

    private static synchronized void setBlasThreads(int n) {
        if (n == blasThreads) return;
        try {
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(n);
            blasThreads = n;
        } catch (RuntimeException | LinkageError e) {
            blasThreads = 1; // no OpenBLAS setter on this platform: leave the environment's choice
        }
    }

    static boolean quickSleep(String timeout) {
        if (timeout == null) return false;
        try {
            int t = Integer.parseInt(timeout.trim());
            return t > 0 && t <= 8;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Calls {@link #init(int)} with the default once if nobody chose yet. */
    public static void ensureInit() {
        if (!threadsSet) init(0);
    }

    public static Tensor floats(float[] data, long... shape) {
        FloatPointer p = new FloatPointer(data);
        try {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Float)).clone();
        } finally {
            p.close();
        }
    }

    public static Tensor longs(long[] data, long... shape) {
        LongPointer p = new LongPointer(data);
        try {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Long)).clone();
        } finally {
            p.close();
        }
    }

    public static Tensor ints2d(int[][] rows, int width, int padValue) {
        long[] flat = new long[rows.length * width];
        java.util.Arrays.fill(flat, padValue);
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < rows[r].length; c++) flat[r * width + c] = rows[r][c];
        }
        return longs(flat, rows.length, width);
    }

    /** Copies a tensor of any dtype/device to a float[] (row-major). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Long).cpu().contiguous();
        long[] out = new long[(int) c.numel()];
        c.data_ptr_long().get(out);
        return out;
    }

    public static double item(Tensor t) {
        return t.detach().cpu().to(torch.ScalarType.Double).item_double();
    }

    /** The raw bytes of a CPU-contiguous copy of {@code t}. */
    public static byte[] bytes(Tensor t) {
        Tensor c = t.detach().cpu().contiguous();
        long n = c.nbytes();
        byte[] out = new byte[Math.toIntExact(n)];
        new BytePointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    /** Options for new tensors of {@code dtype} on {@code device}. */
    public static TensorOptions options(torch.ScalarType dtype, Device device) {
        return new TensorOptions(dtype).device(new org.bytedeco.pytorch.DeviceOptional(device));
    }

    /** The tensor's dtype, interned: JavaCPP's enum results must be interned before == or switch. */
    public static torch.ScalarType dtype(Tensor t) {
        return t.scalar_type().intern();
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /**
     * The device named cpu, cuda or cuda:N. A {@link dev.raftj.core.UserError} when the name is
     * unknown or this LibTorch has no such CUDA device (the default build is CPU-only: build with
     * {@code -Dpytorch.artifact=pytorch-gpu}).
     */
    public static Device device(String name) {
        if (name == null || !name.matches("cpu|cuda(:\\d+)?")) {
            throw new dev.raftj.core.UserError("unknown device '" + name + "' (cpu, cuda, cuda:N)");
        }
        if (name.startsWith("cuda")) {
            // The index is checked here, as a number of any size: LibTorch cannot parse one over 127.
            String digits = name.length() > 5 ? name.substring(5) : "0";
            long count = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
            boolean exists = digits.length() <= 9 && Long.parseLong(digits) < count;
            if (!exists) {
                throw new dev.raftj.core.UserError("device " + name + ": " + (count == 0
                        ? "this LibTorch has no CUDA device (a CPU build, or no GPU or driver; build with -Dpytorch.artifact=pytorch-gpu)"
                        : "there are only " + count + " CUDA devices"));
            }
        }
        return new Device(name);
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) s[i] = t.size(i);
        return s;
    }
}

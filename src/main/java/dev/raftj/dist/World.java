package dev.raftj.dist;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import java.util.List;
import java.util.function.Supplier;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

/**
 * The processes of a data-parallel run and the collectives between them, on PyTorch's c10d:
 * rendezvous through a {@link TCPStore} served by rank 0, then a Gloo process group (CPU tensors;
 * NCCL for CUDA tensors in the CUDA build). A world of one ({@link #single()}) answers every
 * collective locally, so single-process code paths stay exactly as they were.
 *
 * <p>Every collective waits at most the configured timeout; a rank that died makes the others fail
 * at once (Gloo sees the closed connection), one that hangs makes them fail after the timeout,
 * with an error naming the operation, the rank and what to do.
 */
public final class World implements AutoCloseable {
    private static final World SINGLE = new World(DistEnv.SINGLE, null, null, null);

    private final DistEnv env;
    private final Store store;
    private final Backend group;
    private final Device device;
    private long commNanos;

    private World(DistEnv env, Store store, Backend group, Device device) {
        this.env = env;
        this.store = store;
        this.group = group;
        this.device = device;
    }

    /** A process on its own: every collective is the identity. */
    public static World single() {
        return SINGLE;
    }

    /** The world the environment describes ({@link DistEnv}); tensors live on {@code device} (cpu or cuda). */
    public static World fromEnvironment(Device device) {
        DistEnv env = DistEnv.of(System.getenv());
        return env.distributed() ? connect(env, device) : single();
    }

    /** Joins the other ranks: TCPStore at MASTER_ADDR:MASTER_PORT (rank 0 serves it), then the process group. */
    public static World connect(DistEnv env, Device device) {
        Milliseconds timeout = new Milliseconds(env.timeoutSeconds() * 1000L);
        TCPStore store;
        try {
            TCPStoreOptions o = new TCPStoreOptions();
            o.port((short) env.masterPort());
            o.isServer(env.rank() == 0);
            o.numWorkers(new SizeTPointer(1).put(env.worldSize()));
            o.waitWorkers(true);
            o.timeout(timeout);
            store = new TCPStore(env.masterAddr(), o);
        } catch (RuntimeException e) {
            throw new UserError("rank " + env.rank() + " of " + env.worldSize() + ": rendezvous at " + env.masterAddr() + ":"
                    + env.masterPort() + " failed within " + env.timeoutSeconds() + " s (" + DistEnv.TIMEOUT_VAR
                    + "); check MASTER_ADDR/MASTER_PORT and that all " + env.worldSize() + " ranks started: " + e.getMessage(), e);
        }
        Backend group = device.is_cuda() ? ncclGroup(store, env) : glooGroup(store, env, timeout);
        return new World(env, store, group, device.is_cuda() ? device : new Device(torch.DeviceType.CPU));
    }

    private static Backend glooGroup(Store store, DistEnv env, Milliseconds timeout) {
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(timeout);
        String iface = System.getenv("GLOO_SOCKET_IFNAME");
        boolean loopback = env.masterAddr().startsWith("127.") || env.masterAddr().equals("localhost");
        // As torch.distributed: GLOO_SOCKET_IFNAME names the interface; else this host's name resolves it.
        options.devices().push_back(iface != null && !iface.isBlank() ? ProcessGroupGloo.createDeviceForInterface(iface.strip())
                : loopback ? ProcessGroupGloo.createDeviceForHostname("127.0.0.1") : ProcessGroupGloo.createDefaultDevice());
        try {
            return new ProcessGroupGloo(store, env.rank(), env.worldSize(), options);
        } catch (RuntimeException e) {
            throw new UserError("rank " + env.rank() + " of " + env.worldSize() + ": cannot connect the Gloo process group: "
                    + e.getMessage(), e);
        }
    }

    private static Backend ncclGroup(Store store, DistEnv env) {
        try {
            return new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(store, env.rank(), env.worldSize());
        } catch (LinkageError e) {
            throw new UserError("device cuda with WORLD_SIZE " + env.worldSize() + " needs NCCL, which only the CUDA build of"
                    + " LibTorch carries (build with -Dpytorch.artifact=pytorch-gpu): " + e);
        } catch (RuntimeException e) {
            throw new UserError("rank " + env.rank() + " of " + env.worldSize() + ": cannot create the NCCL process group: "
                    + e.getMessage(), e);
        }
    }

    public int rank() {
        return env.rank();
    }

    public int size() {
        return env.worldSize();
    }

    public boolean distributed() {
        return group != null;
    }

    /** Rank 0: the process that writes the run's files. */
    public boolean leader() {
        return env.rank() == 0;
    }

    public int timeoutSeconds() {
        return env.timeoutSeconds();
    }

    /** This rank's contiguous shard of {@code items} (the whole list in a world of one). */
    public <T> List<T> shard(List<T> items) {
        return Shards.of(items, rank(), size());
    }

    /** This rank's stream of a seed: rank 0 keeps it (a world of one draws as before), the others derive their own. */
    public long seed(long base) {
        return rank() == 0 ? base : Shuffle.deriveSeed(base, 0x5eed_0000L + rank());
    }

    /** Seconds spent in collectives since the last call (waiting for slower ranks included). */
    public double takeCommSeconds() {
        double s = commNanos / 1e9;
        commNanos = 0;
        return s;
    }

    /** Copies rank 0's values into these tensors on every rank (contiguous tensors, same shapes everywhere). */
    public void broadcast(List<Tensor> tensors) {
        if (!distributed()) return;
        BroadcastOptions o = new BroadcastOptions();
        o.rootRank(0);
        for (Tensor t : tensors) {
            Tensor d = t.detach();
            run("broadcast", () -> group.broadcast(new TensorVector(d), o));
        }
    }

    /** Sums {@code flat} over the ranks, in place. */
    public void allReduceSum(Tensor flat) {
        if (!distributed()) return;
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        run("all-reduce", () -> group.allreduce(new TensorVector(flat), o));
    }

    /** The element-wise sums of {@code values} over the ranks. */
    public double[] allReduceSum(double[] values) {
        if (!distributed()) return values.clone();
        Tensor t = doubles(values);
        allReduceSum(t);
        return toDoubles(t);
    }

    /** Every rank's values, concatenated in rank order (lengths may differ by rank). */
    public double[] allGather(double[] local) {
        if (!distributed()) return local.clone();
        long[] counts = counts(local.length);
        int max = max(counts);
        double[] all = toDoubles(gather(doubles(java.util.Arrays.copyOf(local, max)), max, torch.ScalarType.Double));
        return (double[]) unpad(all, new double[(int) sum(counts)], counts, max);
    }

    /** Every rank's values, concatenated in rank order (lengths may differ by rank). */
    public long[] allGather(long[] local) {
        if (!distributed()) return local.clone();
        long[] counts = counts(local.length);
        int max = max(counts);
        long[] all = toLongs(gather(longs(java.util.Arrays.copyOf(local, max)), max, torch.ScalarType.Long));
        return (long[]) unpad(all, new long[(int) sum(counts)], counts, max);
    }

    /** The ranks' {@code in} (each padded to {@code max} values), back to back. */
    private Tensor gather(Tensor in, int max, torch.ScalarType dtype) {
        Tensor out = torch.empty(new long[] {(long) max * size()}, options(dtype), null);
        run("all-gather", () -> group._allgather_base(out, in));
        return out;
    }

    /** Copies each rank's first counts[r] values of {@code padded} (max per rank) into {@code result}. */
    static Object unpad(Object padded, Object result, long[] counts, int max) {
        for (int r = 0, at = 0; r < counts.length; r++) {
            System.arraycopy(padded, r * max, result, at, (int) counts[r]);
            at += (int) counts[r];
        }
        return result;
    }

    /** Each rank's count. */
    private long[] counts(int local) {
        return toLongs(gather(longs(new long[] {local}), 1, torch.ScalarType.Long));
    }

    /** Waits until every rank gets here. */
    public void barrier() {
        if (!distributed()) return;
        allReduceSum(new double[] {0});
    }

    /** Rank 0's {@code value} on every rank, through the store (for strings: a run folder's name). */
    public String share(String key, String value) {
        if (!distributed()) return value;
        long t0 = System.nanoTime();
        try {
            if (leader()) store.set("raftj/" + key, value);
            return store.get_to_str("raftj/" + key);
        } catch (RuntimeException e) {
            throw failure("store get '" + key + "'", e);
        } finally {
            commNanos += System.nanoTime() - t0;
        }
    }

    private void run(String what, Supplier<Work> op) {
        long t0 = System.nanoTime();
        try {
            Work w = op.get();
            w._wait();
        } catch (RuntimeException e) {
            throw failure(what, e);
        } finally {
            commNanos += System.nanoTime() - t0;
        }
    }

    private UserError failure(String what, RuntimeException e) {
        return new UserError("rank " + rank() + " of " + size() + ": " + what + " failed: another rank stopped (crashed or was"
                + " killed) or did not answer within " + timeoutSeconds() + " s (" + DistEnv.TIMEOUT_VAR + "); resume the run"
                + " from its last checkpoint with --resume (" + e.getMessage() + ")", e);
    }

    private TensorOptions options(torch.ScalarType dtype) {
        return dev.raftj.torch.Torch.options(dtype, device);
    }

    private Tensor doubles(double[] v) {
        DoublePointer p = new DoublePointer(v);
        try {
            return torch.from_blob(p, new long[] {v.length}, new TensorOptions(torch.ScalarType.Double)).clone().to(device,
                    torch.ScalarType.Double);
        } finally {
            p.close();
        }
    }

    private Tensor longs(long[] v) {
        LongPointer p = new LongPointer(v);
        try {
            return torch.from_blob(p, new long[] {v.length}, new TensorOptions(torch.ScalarType.Long)).clone().to(device,
                    torch.ScalarType.Long);
        } finally {
            p.close();
        }
    }

    private static double[] toDoubles(Tensor t) {
        Tensor c = t.cpu().contiguous();
        double[] out = new double[(int) c.numel()];
        c.data_ptr_double().get(out);
        return out;
    }

    private static long[] toLongs(Tensor t) {
        Tensor c = t.cpu().contiguous();
        long[] out = new long[(int) c.numel()];
        c.data_ptr_long().get(out);
        return out;
    }

    private static int max(long[] xs) {
        long m = 0;
        for (long x : xs) m = Math.max(m, x);
        return (int) m;
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) s += x;
        return s;
    }

    @Override
    public void close() {
        if (group != null) group.close();
        if (store != null) store.close();
    }
}

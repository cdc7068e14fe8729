import dev.raftj.dist.World;
import dev.raftj.torch.Torch;
import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Gloo all-reduce of float32 buckets between the processes RANK/WORLD_SIZE/MASTER_* describe: for
 * each size, 2 warm-up rounds, then REPS rounds after a barrier; rank 0 prints one JSON line per
 * size with the mean seconds, the algorithm bandwidth (bytes / s) and the bus bandwidth
 * (2·(W−1)/W · bytes / s, what each rank sends and receives in a ring).
 */
public final class AllReduceBench {
    public static void main(String[] args) {
        Torch.init(1);
        int reps = 5;
        try (World world = World.fromEnvironment(new Device(torch.DeviceType.CPU))) {
            for (String mb : args) {
                long n = (long) (Double.parseDouble(mb) * 1024 * 1024 / 4);
                Tensor t = torch.ones(n);
                for (int i = 0; i < 2; i++) world.allReduceSum(t);
                world.barrier();
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) world.allReduceSum(t);
                double s = (System.nanoTime() - t0) / 1e9 / reps;
                double bytes = n * 4.0, w = world.size();
                if (world.leader()) {
                    System.out.printf(Locale.ROOT, "{\"world_size\": %d, \"bytes\": %.0f, \"seconds\": %.6f, \"algbw_gb_s\": %.3f,"
                            + " \"busbw_gb_s\": %.3f}%n", world.size(), bytes, s, bytes / s / 1e9, 2 * (w - 1) / w * bytes / s / 1e9);
                }
            }
        }
    }
}

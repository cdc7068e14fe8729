package dev.raftj.dist;

import dev.raftj.align.TokenBatch;
import dev.raftj.core.UserError;
import dev.raftj.model.CausalLM;
import dev.raftj.tasks.Tasks;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * One rank of {@link DataParallelTest}: two SFT steps on its shard of {@link #batch()} with the
 * gradients all-reduced, its weights saved to OUT/rankR; then rank 1 announces it is waiting and
 * sleeps (the test kills it) while rank 0 waits in a barrier, which must fail with the clear error.
 */
public final class SftStepChild {
    static final double LR = 1e-3, CLIP = 1.0;

    /** Four rows of unequal response lengths: a plain mean of the two halves' means would be wrong. */
    static List<List<int[]>> batch() {
        List<int[]> prompts = List.of(new int[] {5, 6, 7}, new int[] {8, 9}, new int[] {10, 11, 12, 13}, new int[] {14});
        List<int[]> responses = List.of(new int[] {20, 21, 22, 23, 24, 25}, new int[] {26}, new int[] {27, 28},
                new int[] {29, 30, 31});
        return List.of(prompts, responses);
    }

    /**
     * AdamW with eps 1e-4: the attention key bias's true gradient is 0 (softmax ignores a shift
     * shared by all keys), and with eps 1e-8 AdamW turns its float rounding noise (~1e-10) into
     * ±lr steps in any process, however the batch is summed; eps 1e-4 damps that noise below 1e-9
     * and leaves the real gradients' steps.
     */
    static SftStep trainer(CausalLM model) {
        return new SftStep(model, LR, 0.9, 0.999, 1e-4, 0.01, CLIP);
    }

    static CausalLM model() {
        return CausalLM.load(Tasks.get("arith").policy(), new Device(torch.DeviceType.CPU), torch.ScalarType.Float);
    }

    public static void main(String[] args) throws Exception {
        Torch.init(1);
        Path out = Path.of(args[0]);
        try (World world = World.fromEnvironment(new Device(torch.DeviceType.CPU))) {
            CausalLM model = model();
            world.broadcast(model.parameters());
            SftStep step = trainer(model);
            step.setGradientSync(new GradientAllReduce(world));
            List<List<int[]>> b = batch();
            TokenBatch mine = TokenBatch.of(world.shard(b.get(0)), world.shard(b.get(1)), 0, model.device());
            for (int i = 0; i < 2; i++) {
                System.out.println("loss " + step.step(mine.ids(), mine.mask(), mine.labels(), 0).loss());
            }
            model.save(out.resolve("rank" + world.rank()));
            world.barrier();
            if (world.rank() == 1) {
                System.out.println("WAITING");
                System.out.flush();
                Thread.sleep(600_000);
            }
            world.barrier();
            System.out.println("the barrier passed without rank 1");
        } catch (UserError e) {
            System.out.println("raftj: error: " + e.getMessage());
            System.exit(1);
        }
    }
}

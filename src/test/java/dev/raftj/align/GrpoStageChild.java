package dev.raftj.align;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.GrpoConfig;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.dist.World;
import dev.raftj.torch.Torch;
import dev.raftj.train.Advantages;
import dev.raftj.train.SftStep;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * One process of {@link GrpoDataParallelEqualityTest} (WORLD_SIZE 1 or 2): every process draws the
 * same global batch (same seed, the whole batch), keeps its rank's prompts, and runs two GRPO
 * stages' updates ({@link Grpo#train}) on it, stage 1 with the configured loss aggregation, stage 2
 * with per-sequence aggregation. Prints each stage's figures and writes the policy's weights.
 */
public final class GrpoStageChild {
    public static void main(String[] args) throws Exception {
        Torch.init(1);
        Path out = Path.of(args[0]), cfgFile = Path.of(args[1]);
        try (World world = World.fromEnvironment(new Device(torch.DeviceType.CPU))) {
            RunConfig c = ConfigLoader.load(cfgFile, RunConfig.class);
            AlignmentSetup setup = new AlignmentSetup(c, null, cfgFile.getParent());
            Grpo grpo = new Grpo(setup, RunState.follower(out, c, world.size()), line -> { }, world);
            SftStep trainer = grpo.trainer();
            SampleBatch mine = StageChildren.shard(StageChildren.globalBatch(setup, c.grpo().batchPrompts()), world);
            GrpoConfig g = c.grpo();
            for (int stage = 1; stage <= 2; stage++) {
                GrpoConfig gs = stage == 1 ? g : new GrpoConfig(g.stages(), g.batchPrompts(), g.lr(), g.gradClip(),
                        g.weightDecay(), g.iterations(), g.minibatches(), g.epsilon(), g.epsilonHigh(), g.beta(),
                        g.scaleRewards(), GrpoConfig.Aggregation.SEQUENCE);
                Grpo.Trained t = grpo.train(mine, trainer, gs, stage, new Timer());
                Grpo.Update u = t.update();
                double klRef = Advantages.tokenMean(Advantages.kl(Advantages.KlEstimator.K3, t.old(), t.ref()), world::allReduceSum);
                System.out.println(String.format(Locale.ROOT, "stage %d rows %d losses %s pg %.9g clip %.9g akl %.9g ent %.9g"
                        + " klref %.9g", stage, mine.promptIds().size(), Arrays.toString(u.losses()), u.policyLoss(),
                        u.clipFraction(), u.approxKl(), u.entropy(), klRef));
                System.out.println("stage " + stage + " idle steps " + u.idleSteps());
            }
            StageChildren.writeWeights(out, DataParallel.weights(setup), world.size(), world.rank());
            System.out.println("DONE");
        } catch (UserError e) {
            System.out.println("raftj: error: " + e.getMessage());
            System.exit(1);
        }
    }
}

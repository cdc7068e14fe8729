package dev.raftj.align;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.dist.World;
import dev.raftj.torch.Torch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * One process of {@link PpoDataParallelTest} (WORLD_SIZE 1 or 2): every process draws the same
 * global batch (same seed, the whole batch), keeps its rank's prompts, and runs two PPO stages'
 * updates ({@link Ppo#train}) and discriminator steps ({@link Adversarial#afterStage}) on it, as
 * a data-parallel run does after sampling. Prints each stage's figures and writes every weight
 * (policy, critic, discriminator) as float32 to OUT/weights-W-R.bin.
 */
public final class PpoStageChild {
    public static void main(String[] args) throws Exception {
        Torch.init(1);
        Path out = Path.of(args[0]), cfgFile = Path.of(args[1]);
        try (World world = World.fromEnvironment(new Device(torch.DeviceType.CPU))) {
            RunConfig c = ConfigLoader.load(cfgFile, RunConfig.class);
            AlignmentSetup setup = new AlignmentSetup(c, null, cfgFile.getParent());
            RunState state = RunState.follower(out, c, world.size());
            Ppo ppo = new Ppo(setup, state, line -> { }, world);
            Ppo.Learner learner = ppo.learner();
            SampleBatch all = StageChildren.globalBatch(setup, c.ppo().batchPrompts());
            SampleBatch mine = StageChildren.shard(all, world);
            for (int stage = 1; stage <= 2; stage++) {
                Ppo.Trained t = ppo.train(mine, learner.critic(), learner.trainer(), 0.05, stage, new Timer());
                StageMetrics.Adversarial a = setup.adversarial().afterStage(all, c.seed(), stage);
                System.out.println(String.format(Locale.ROOT, "stage %d rows %d losses %s pg %.9g vf %.9g clip %.9g akl %.9g"
                        + " kl %.9g rowkl %.9g ev %.9g disc %.9g acc %.9g", stage, mine.promptIds().size(),
                        Arrays.toString(t.update().losses()), t.update().policyLoss(), t.update().valueLoss(),
                        t.update().clipFraction(), t.update().approxKl(), t.klMean(), t.rowKl(), t.explainedVariance(),
                        a.trainLoss(), a.accuracy()));
            }
            StageChildren.writeWeights(out, DataParallel.weights(setup, learner.critic().parameters()), world.size(), world.rank());
            System.out.println("DONE");
        } catch (UserError e) {
            System.out.println("raftj: error: " + e.getMessage());
            System.exit(1);
        }
    }
}

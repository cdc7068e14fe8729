package dev.raftj.diffusion;

import dev.raftj.core.UserError;
import dev.raftj.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * A diffusion model folder: {@code config.json} (the U-Net, {@link UNetConfig}),
 * {@code scheduler_config.json} ({@link SchedulerConfig}) and {@code model.safetensors} (float32
 * weights by diffusers name), as diffusers' {@code save_pretrained} lays out one model.
 */
public record DiffusionModel(UNet2D unet, SchedulerConfig scheduler, NoiseSchedule schedule) {

    public DiffusionModel(UNet2D unet, SchedulerConfig scheduler) {
        this(unet, scheduler, NoiseSchedule.of(scheduler));
    }

    /** Whether {@code dir} looks like a diffusion model folder (it has a scheduler_config.json). */
    public static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(SchedulerConfig.FILE));
    }

    public static DiffusionModel load(Path dir) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": model folder not found");
        UNetConfig config = UNetConfig.read(dir);
        SchedulerConfig scheduler = SchedulerConfig.read(dir);
        Map<String, Tensor> weights = SafeTensors.readCheckpoint(dir);
        for (var e : weights.entrySet()) {
            if (e.getValue().scalar_type() != org.bytedeco.pytorch.global.torch.ScalarType.Float) {
                e.setValue(e.getValue().to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
            }
        }
        return new DiffusionModel(new UNet2D(config, weights, dir.resolve(SafeTensors.SINGLE)), scheduler);
    }

    /** Writes the three files into {@code dir} (created if needed), each atomically. */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create: " + e.getMessage(), e);
        }
        unet.config().write(dir);
        scheduler.write(dir);
        SafeTensors.write(dir.resolve(SafeTensors.SINGLE), unet.weights(), Map.of("format", "pt"));
    }

    public UNetConfig config() {
        return unet.config();
    }
}

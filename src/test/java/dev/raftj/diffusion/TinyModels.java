package dev.raftj.diffusion;

/** A small class-conditional U-Net (3 classes + "no label") for tests: 16×16, levels of 8 and 16 channels. */
final class TinyModels {
    private TinyModels() {}

    static UNetConfig config(boolean attention) {
        return new UNetConfig(16, 1, 1, new int[] {8, 16}, 1, 4, 1e-5, 4, new boolean[] {false, attention}, true, 8);
    }

    static DiffusionModel model(long seed, SchedulerConfig scheduler) {
        return new DiffusionModel(UNet2D.initialize(config(true), seed), scheduler);
    }
}

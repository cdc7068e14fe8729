package dev.raftj.diffusion;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import dev.raftj.train.GradNorm;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * One denoising training step (Ho et al. 2020, Algorithm 1): t ~ U{0…T−1}, ε ~ N(0, I),
 * x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε, loss ‖ε − ε̂(x_t, t, y)‖² (mean), AdamW with betas (0.9, 0.999),
 * optional global gradient-norm clipping. For classifier-free guidance each label is replaced by
 * the "no label" row with probability {@code labelDropout}. All randomness (t, ε, the dropped
 * labels) comes from the step's seed, so a replayed step is the same step. Optional restraints:
 * t drawn from {t_min…t_max} only ({@link #timesteps}), and an anchor β·‖ε̂ − ε_base‖² to a frozen
 * base model's prediction on the same x_t, t, y ({@link #anchor}).
 */
public final class DenoiseStep implements AutoCloseable {
    private final DiffusionModel model;
    private final List<Tensor> params;
    private final AdamWOptions options;
    private AdamW optimizer;
    private final double clipNorm;
    private int tMin, tMax;
    private DiffusionModel base;
    private double anchorBeta;

    /** loss = denoising + anchor (the anchor term already multiplied by β; 0 without one); the timesteps drawn. */
    public record Result(double loss, double gradNorm, double anchorLoss, int[] timesteps) {}

    /** One step's draws: the timesteps and the labels after dropout. */
    record Draw(int[] timesteps, long[] labels) {}

    public DenoiseStep(DiffusionModel model, double lr, double weightDecay, double clipNorm) {
        this.model = model;
        model.unet().trainable();
        this.params = model.unet().parameters();
        this.options = new AdamWOptions(lr);
        options.weight_decay().put(weightDecay);
        this.optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options);
        this.clipNorm = clipNorm;
        this.tMin = 0;
        this.tMax = model.schedule().steps() - 1;
    }

    /** Draws training timesteps from {min…max} (inclusive) only. */
    public DenoiseStep timesteps(int min, int max) {
        if (min < 0 || max < min || max >= model.schedule().steps()) {
            throw new IllegalArgumentException("timestep range " + min + "…" + max + " outside 0…" + (model.schedule().steps() - 1));
        }
        tMin = min;
        tMax = max;
        return this;
    }

    /** Adds β·‖ε̂ − ε_base‖² (mean) to every step's loss; {@code base} is only read (β = 0: no anchor). */
    public DenoiseStep anchor(DiffusionModel base, double beta) {
        this.base = beta > 0 ? base : null;
        this.anchorBeta = beta;
        return this;
    }

    /** The timesteps (uniform over tMin…tMax) and dropped labels of a step, all from its seed's generator. */
    static Draw draw(Shuffle.SplitMix64 rng, int b, long[] labels, double labelDropout, Integer nullLabel, int tMin, int tMax) {
        int[] ts = new int[b];
        long[] y = labels == null ? null : labels.clone();
        for (int i = 0; i < b; i++) {
            ts[i] = tMin + rng.nextInt(tMax - tMin + 1);
            if (y != null && nullLabel != null && UNet2D.uniform(rng) < labelDropout) y[i] = nullLabel;
        }
        return new Draw(ts, y);
    }

    /**
     * @param images x0, [B, C, S, S] as a flat array in [−1, 1]
     * @param labels [B] class indices (null for an unconditional model)
     */
    public Result step(float[] images, long[] labels, double labelDropout, long seed) {
        UNetConfig c = model.config();
        int b = labels != null ? labels.length : images.length / (c.inChannels() * c.sampleSize() * c.sampleSize());
        Draw d = draw(new Shuffle.SplitMix64(seed), b, labels, labelDropout,
                c.numClassEmbeds() != null ? Integer.valueOf(c.numClassEmbeds() - 1) : null, tMin, tMax);
        int[] ts = d.timesteps();
        long[] y = d.labels();
        float[] sqrtAb = new float[b], sqrtOneMinus = new float[b];
        for (int i = 0; i < b; i++) {
            double ab = model.schedule().alphaBar(ts[i]);
            sqrtAb[i] = (float) Math.sqrt(ab);
            sqrtOneMinus[i] = (float) Math.sqrt(1 - ab);
        }
        long[] shape = {b, c.inChannels(), c.sampleSize(), c.sampleSize()};
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = Torch.floats(images, shape);
            Tensor eps = Gaussian.tensor(Shuffle.deriveSeed(seed, 1), shape);
            Tensor xt = x0.mul(Torch.floats(sqrtAb, b, 1, 1, 1)).add(eps.mul(Torch.floats(sqrtOneMinus, b, 1, 1, 1)));
            optimizer.zero_grad();
            Tensor pred = model.unet().forward(xt, ts, y);
            Tensor loss = torch.mse_loss(pred, eps);
            double anchorValue = 0;
            if (base != null) {
                Tensor target;
                try (var g = new org.bytedeco.pytorch.NoGradGuard()) {
                    target = base.unet().forward(xt, ts, y).detach();
                }
                Tensor anchorLoss = torch.mse_loss(pred, target).mul(new org.bytedeco.pytorch.Scalar(anchorBeta));
                anchorValue = Torch.item(anchorLoss);
                loss = loss.add(anchorLoss);
            }
            loss.backward();
            double norm = GradNorm.global(params);
            double value = Torch.item(loss);
            if (!Double.isFinite(value) || !Double.isFinite(norm)) {
                optimizer.zero_grad();
                throw new UserError("diffusion training diverged: loss " + value + ", gradient norm " + norm
                        + "; the step was not applied (a lower learning rate may help)");
            }
            if (clipNorm > 0 && norm > clipNorm) GradNorm.scale(params, clipNorm / (norm + 1e-6));
            optimizer.step();
            return new Result(value, norm, anchorValue, ts);
        }
    }

    public void setLearningRate(double lr) {
        var groups = optimizer.param_groups();
        for (long i = 0; i < groups.size(); i++) groups.get(i).options().set_lr(lr);
    }

    /** Forgets AdamW's moments. */
    public void resetState() {
        optimizer.close();
        optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options);
    }

    public void saveOptimizer(Path file) {
        OutputArchive out = new OutputArchive();
        optimizer.save(out);
        out.save_to(file.toString());
    }

    public void loadOptimizer(Path file) {
        InputArchive in = new InputArchive();
        in.load_from(file.toString(), new DeviceOptional(new org.bytedeco.pytorch.Device("cpu")));
        optimizer.load(in);
    }

    public DiffusionModel model() {
        return model;
    }

    @Override
    public void close() {
        optimizer.close();
    }
}

package dev.raftj.diffusion;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.config.Validate;
import dev.raftj.core.ConfigError;
import java.nio.file.Path;

/**
 * What holds a diffusion RAFT run near its base model while it fine-tunes on its own kept samples
 * (the {@code restraints:} section; all off by default).
 *
 * @param priorPerClass images per class mixed into every stage's fine-tuning set (spread evenly over
 *                      its minibatches) with the ordinary ε-MSE loss: DreamBooth's prior preservation; default 0
 * @param prior         where they come from: {@code base} = fresh samples of the frozen base model (the
 *                      stage's sampler, its own seed stream), {@code shapes} = the procedural training
 *                      images of the built-in task (a 16×16, 1-channel model with its 4 classes); default base
 * @param anchorBeta    β of the distillation term β·‖ε_θ − ε_base‖² (mean) added to every fine-tuning
 *                      step, ε_base the frozen base model's prediction on the same noised batch; default 0
 * @param trainTMin     the smallest training timestep drawn while fine-tuning; default 0
 * @param trainTMax     the largest (inclusive); default T − 1 (null = the scheduler's last step)
 */
public record Restraints(
        @JsonProperty("prior_per_class") Integer priorPerClass,
        @JsonProperty("prior") String prior,
        @JsonProperty("anchor_beta") Double anchorBeta,
        @JsonProperty("train_t_min") Integer trainTMin,
        @JsonProperty("train_t_max") Integer trainTMax) {
    public static final String BASE = "base", SHAPES = "shapes";

    public Restraints {
        priorPerClass = priorPerClass != null ? priorPerClass : 0;
        prior = prior != null ? prior : BASE;
        anchorBeta = anchorBeta != null ? anchorBeta : 0.0;
        trainTMin = trainTMin != null ? trainTMin : 0;
    }

    public static Restraints none() {
        return new Restraints(null, null, null, null, null);
    }

    /** Whether the run needs a frozen copy of the base model. */
    public boolean needsBase() {
        return anchorBeta > 0 || priorPerClass > 0 && prior.equals(BASE);
    }

    /** The field checks that need no model. */
    public void validate(Path file, String prefix) {
        Validate.nonNegative(file, prefix + ".prior_per_class", priorPerClass);
        if (!prior.equals(BASE) && !prior.equals(SHAPES)) {
            throw new ConfigError(file, prefix + ".prior", "'" + prior + "' is not a prior source (base, shapes)");
        }
        if (!Double.isFinite(anchorBeta) || anchorBeta < 0) {
            throw new ConfigError(file, prefix + ".anchor_beta", "must be a finite number >= 0, got " + anchorBeta);
        }
        Validate.nonNegative(file, prefix + ".train_t_min", trainTMin);
        if (trainTMax != null && trainTMax < trainTMin) {
            throw new ConfigError(file, prefix + ".train_t_max", "must be >= train_t_min = " + trainTMin + ", got " + trainTMax);
        }
    }

    /** The checks against the model: the t-range within its T steps, a shapes prior only for a shapes-sized model. */
    public void validate(Path file, String prefix, UNetConfig model, int trainSteps) {
        if (trainTMin >= trainSteps) {
            throw new ConfigError(file, prefix + ".train_t_min", "must be < the scheduler's num_train_timesteps = " + trainSteps + ", got " + trainTMin);
        }
        if (trainTMax != null && trainTMax >= trainSteps) {
            throw new ConfigError(file, prefix + ".train_t_max", "must be < the scheduler's num_train_timesteps = " + trainSteps + ", got " + trainTMax);
        }
        if (priorPerClass > 0 && prior.equals(SHAPES) && (model.sampleSize() != Shapes.SIZE || model.inChannels() != 1
                || model.classes() != Shapes.CLASSES.size())) {
            throw new ConfigError(file, prefix + ".prior", "'shapes' needs a " + Shapes.SIZE + "×" + Shapes.SIZE
                    + " one-channel model with exactly " + Shapes.CLASSES.size() + " classes; this one is " + model.sampleSize()
                    + "×" + model.sampleSize() + ", " + model.inChannels() + " channel(s), " + model.classes() + " classes");
        }
    }

    /** The last timestep drawn, for a scheduler of {@code trainSteps}. */
    public int tMax(int trainSteps) {
        return trainTMax != null ? trainTMax : trainSteps - 1;
    }
}

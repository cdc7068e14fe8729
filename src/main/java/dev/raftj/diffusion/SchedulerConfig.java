package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.nio.file.Path;

/**
 * A model folder's {@code scheduler_config.json}, in diffusers' DDPMScheduler form: the training
 * noise schedule (β from beta_start to beta_end over num_train_timesteps, linear or scaled_linear),
 * ε-prediction, and whether samplers clip the predicted x̂0 to [−1, 1] (clip_sample).
 */
public record SchedulerConfig(int numTrainTimesteps, double betaStart, double betaEnd, String betaSchedule,
                              boolean clipSample) {
    public static final String FILE = "scheduler_config.json";
    static final String LINEAR = "linear";
    static final String SCALED_LINEAR = "scaled_linear";

    /** DDPM's schedule (Ho et al. 2020): T = 1000, β linear from 1e-4 to 0.02, x̂0 clipped. */
    public static SchedulerConfig ddpm() {
        return new SchedulerConfig(1000, 1e-4, 0.02, LINEAR, true);
    }

    public static SchedulerConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode n = JsonFields.read(file);
        int t = JsonFields.intField(file, n, "num_train_timesteps", 1000);
        double start = JsonFields.doubleField(file, n, "beta_start", 1e-4);
        double end = JsonFields.doubleField(file, n, "beta_end", 0.02);
        String schedule = JsonFields.textField(file, n, "beta_schedule", LINEAR);
        String prediction = JsonFields.textField(file, n, "prediction_type", "epsilon");
        boolean clip = JsonFields.boolField(file, n, "clip_sample", true);
        if (t < 2) throw UserError.field(file, "num_train_timesteps", "must be >= 2, got " + t);
        if (!(start > 0 && start < 1)) throw UserError.field(file, "beta_start", "must be in (0, 1), got " + start);
        if (!(end >= start && end < 1)) throw UserError.field(file, "beta_end", "must be in [beta_start, 1), got " + end);
        if (!schedule.equals(LINEAR) && !schedule.equals(SCALED_LINEAR)) {
            throw UserError.field(file, "beta_schedule", "'" + schedule + "' is not supported (linear, scaled_linear)");
        }
        if (!prediction.equals("epsilon")) {
            throw UserError.field(file, "prediction_type", "'" + prediction + "' is not supported (raftj's U-Net predicts epsilon)");
        }
        return new SchedulerConfig(t, start, end, schedule, clip);
    }

    public void write(Path dir) {
        ObjectNode n = JsonFields.JSON.createObjectNode();
        n.put("_class_name", "DDPMScheduler");
        n.put("num_train_timesteps", numTrainTimesteps);
        n.put("beta_start", betaStart);
        n.put("beta_end", betaEnd);
        n.put("beta_schedule", betaSchedule);
        n.put("prediction_type", "epsilon");
        n.put("variance_type", "fixed_small");
        n.put("clip_sample", clipSample);
        n.put("clip_sample_range", 1.0);
        JsonFields.write(dir.resolve(FILE), n);
    }
}

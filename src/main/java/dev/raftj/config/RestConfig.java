package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.select.ThresholdSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code rest:} section of a run configuration, read when {@code algorithm} is {@code rest}
 * or {@code rest-em} (Gulcehre et al. 2023; Singh et al. 2023). Each Grow step samples N =
 * sampling.k responses for each of batch_prompts prompts once, scores them and writes them to
 * DIR/grow-G.jsonl; then ReST runs one Improve step per threshold τ, fine-tuning on the samples
 * whose reward normalised to [0, 1] over the Grow set is ≥ τ, each continuing from the last with
 * lr·decay^i. ReST-EM keeps the samples with reward 1 (binary reward) and fine-tunes from the
 * base model at every iteration.
 *
 * @param growSteps      Grow steps (ReST-EM: iterations); default 1
 * @param thresholds     Improve-step thresholds τ1 &lt; τ2 &lt; … in [0, 1] (ReST); default
 *                       the paper's 0.0, 0.7, 0.8, 0.9, 0.95
 * @param improveLrDecay Improve step i uses lr · decay^i, in (0, 1]; default 1.0 (no decay)
 */
public record RestConfig(
        @JsonProperty("grow_steps") Integer growSteps,
        @JsonProperty("thresholds") List<Double> thresholds,
        @JsonProperty("improve_lr_decay") Double improveLrDecay) {

    public RestConfig {
        growSteps = growSteps != null ? growSteps : 1;
        thresholds = thresholds != null
                ? Collections.unmodifiableList(new ArrayList<>(thresholds)) // nulls kept for validate
                : ThresholdSchedule.PAPER.thresholds();
        improveLrDecay = improveLrDecay != null ? improveLrDecay : 1.0;
    }

    public static RestConfig defaults() {
        return new RestConfig(null, null, null);
    }

    /** The thresholds as a schedule (valid after {@link #validate}). */
    public ThresholdSchedule schedule() {
        return new ThresholdSchedule(thresholds);
    }

    /** Checks the section; thresholds matter only for ReST proper, not ReST-EM. */
    public void validate(Path file, String prefix, boolean thresholdsUsed) {
        Validate.positive(file, prefix + ".grow_steps", growSteps);
        if (thresholdsUsed) {
            String problem = ThresholdSchedule.problem(thresholds);
            Validate.check(problem == null, file, prefix + ".thresholds", problem);
        }
        Validate.fraction(file, prefix + ".improve_lr_decay", improveLrDecay);
    }
}

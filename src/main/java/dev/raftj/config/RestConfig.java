package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code rest:} section, read when {@code algorithm} is {@code rest} (Gulcehre et al. 2023) or
 * {@code rest-em} (Singh et al. 2023). A Grow step draws N = sampling.k responses for each training
 * prompt (all of them, or {@code grow_prompts} drawn afresh each Grow step) from the current policy,
 * scores them once and writes DIR/grow-G.jsonl. ReST then runs one Improve step per threshold,
 * fine-tuning on the Grow samples whose reward clears it (plus the prompts' {@code reference}
 * responses, scored the same way, when the data has them), each step continuing from the last with
 * lr·decay^i. ReST-EM keeps the successful samples and fine-tunes from the base model every iteration.
 *
 * @param growSteps         Grow steps (ReST-EM: iterations); default 1
 * @param growPrompts       prompts per Grow step; default all training prompts
 * @param thresholds        Improve-step thresholds τ1 &lt; τ2 &lt; … (ReST); default the paper's
 *                          0.0, 0.7, 0.8, 0.9, 0.95
 * @param thresholdScale    what τ is compared with: {@code quantile} (τ in [0, 1]: keep rewards at or
 *                          above the τ-quantile of the Grow set's rewards, so τ means the same for
 *                          any reward) or {@code reward} (keep rewards ≥ τ, on the reward's own
 *                          scale); default quantile
 * @param improveLrDecay    Improve step i uses lr · decay^i, in (0, 1]; default 1.0 (no decay)
 * @param successThreshold  ReST-EM: a sample succeeds when its reward is ≥ this; unset means the
 *                          reward must be binary (0 or 1) and 1 succeeds; default unset
 * @param useReferences     ReST: add each prompt's "reference" response to the Grow set; default true
 */
public record RestConfig(
        @JsonProperty("grow_steps") Integer growSteps,
        @JsonProperty("grow_prompts") Integer growPrompts,
        @JsonProperty("thresholds") List<Double> thresholds,
        @JsonProperty("threshold_scale") ThresholdScale thresholdScale,
        @JsonProperty("improve_lr_decay") Double improveLrDecay,
        @JsonProperty("success_threshold") Double successThreshold,
        @JsonProperty("use_references") Boolean useReferences) {

    /** The ReST paper's example schedule. */
    public static final List<Double> PAPER_THRESHOLDS = List.of(0.0, 0.7, 0.8, 0.9, 0.95);

    public enum ThresholdScale {
        @JsonProperty("quantile") QUANTILE,
        @JsonProperty("reward") REWARD
    }

    public RestConfig {
        growSteps = growSteps != null ? growSteps : 1;
        thresholds = thresholds != null
                ? Collections.unmodifiableList(new ArrayList<>(thresholds)) // nulls kept for validate
                : PAPER_THRESHOLDS;
        thresholdScale = thresholdScale != null ? thresholdScale : ThresholdScale.QUANTILE;
        improveLrDecay = improveLrDecay != null ? improveLrDecay : 1.0;
        useReferences = useReferences != null ? useReferences : true;
    }

    public static RestConfig defaults() {
        return new RestConfig(null, null, null, null, null, null, null);
    }

    /** Checks the section; thresholds matter only for ReST proper, not ReST-EM. */
    public void validate(Path file, String prefix, boolean thresholdsUsed) {
        Validate.positive(file, prefix + ".grow_steps", growSteps);
        if (growPrompts != null) Validate.positive(file, prefix + ".grow_prompts", growPrompts);
        if (thresholdsUsed) {
            String field = prefix + ".thresholds";
            Validate.check(!thresholds.isEmpty(), file, field, "needs at least one threshold");
            for (int i = 0; i < thresholds.size(); i++) {
                Double tau = thresholds.get(i);
                Validate.check(tau != null && Double.isFinite(tau), file, field + "[" + i + "]", "must be a number, got " + tau);
                if (thresholdScale == ThresholdScale.QUANTILE) {
                    Validate.inRange(file, field + "[" + i + "]", tau, 0.0, 1.0);
                }
                if (i > 0) {
                    Validate.check(tau > thresholds.get(i - 1), file, field + "[" + i + "]",
                            "thresholds must rise: " + tau + " is not above " + thresholds.get(i - 1));
                }
            }
        }
        Validate.fraction(file, prefix + ".improve_lr_decay", improveLrDecay);
        if (successThreshold != null) {
            Validate.check(Double.isFinite(successThreshold), file, prefix + ".success_threshold", "must be a number");
        }
    }
}

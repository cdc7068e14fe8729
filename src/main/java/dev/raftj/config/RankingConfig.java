package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * How RAFT picks the samples it fine-tunes on. A field left out (or null) takes its default.
 *
 * @param mode     {@code local}: the best m of each prompt's K samples (RAFT's default);
 *                 {@code global}: the top fraction of the whole batch (LMFlow's "top"); default local
 * @param m        samples kept per prompt in local mode; default 1 (paper)
 * @param fraction share of the batch kept in global mode, in (0, 1]; unset means 1/K
 * @param klBeta   β of KL-adjusted ranking r − β·log(π/π0), ≥ 0; it reorders samples only and
 *                 never enters the loss; default 0.0 (off)
 */
public record RankingConfig(
        @JsonProperty("mode") Mode mode,
        @JsonProperty("m") Integer m,
        @JsonProperty("fraction") Double fraction,
        @JsonProperty("kl_beta") Double klBeta) implements Validated {

    public enum Mode {
        @JsonProperty("local") LOCAL,
        @JsonProperty("global") GLOBAL
    }

    public RankingConfig {
        mode = mode != null ? mode : Mode.LOCAL;
        m = m != null ? m : 1;
        klBeta = klBeta != null ? klBeta : 0.0;
        // fraction stays null when unset: its default depends on K (see fractionFor)
    }

    public static RankingConfig defaults() {
        return new RankingConfig(null, null, null, null);
    }

    /** The global-mode fraction: the configured one, or 1/k when unset. */
    public double fractionFor(int k) {
        return fraction != null ? fraction : 1.0 / k;
    }

    @Override
    public void validate(Path file) {
        validate(file, "");
    }

    public void validate(Path file, String prefix) {
        Validate.positive(file, Validate.field(prefix, "m"), m);
        if (fraction != null) {
            Validate.fraction(file, Validate.field(prefix, "fraction"), fraction);
        }
        Validate.nonNegative(file, Validate.field(prefix, "kl_beta"), klBeta);
    }
}

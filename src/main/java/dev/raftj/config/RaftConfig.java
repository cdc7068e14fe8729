package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * The {@code raft:} section (Dong et al. 2023): N stages of draw K per prompt for b prompts →
 * score → keep the best → fine-tune. A field left out (or null) takes its default.
 *
 * @param stages       number of stages N; default 10
 * @param batchPrompts prompts per stage, the paper's b; default 2048 (paper)
 * @param ranking      which samples are kept, {@link RankingConfig}
 */
public record RaftConfig(
        @JsonProperty("stages") Integer stages,
        @JsonProperty("batch_prompts") Integer batchPrompts,
        @JsonProperty("ranking") RankingConfig ranking) {

    public RaftConfig {
        stages = stages != null ? stages : 10;
        batchPrompts = batchPrompts != null ? batchPrompts : 2048;
        ranking = ranking != null ? ranking : RankingConfig.defaults();
    }

    public static RaftConfig defaults() {
        return new RaftConfig(null, null, null);
    }

    public void validate(Path file, String prefix, int k) {
        Validate.positive(file, Validate.field(prefix, "stages"), stages);
        Validate.positive(file, Validate.field(prefix, "batch_prompts"), batchPrompts);
        ranking.validate(file, Validate.field(prefix, "ranking"));
        if (ranking.mode() == RankingConfig.Mode.LOCAL) {
            Validate.check(ranking.m() <= k, file, Validate.field(prefix, "ranking.m"),
                    "must be <= sampling.k (" + k + "), got " + ranking.m());
        }
    }
}

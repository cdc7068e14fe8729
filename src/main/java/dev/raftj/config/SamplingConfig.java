package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How responses are drawn from the policy. A field left out (or null) takes its default.
 *
 * @param k              samples per prompt, RAFT's K (ReST's N per context); default 8 (the paper
 *                       uses 8, 16 or 32)
 * @param temperature    λ, logits are divided by it; 0 means greedy; default 1.0 (paper)
 * @param topK           keep the k most likely tokens; 0 = off; default 0
 * @param topP           nucleus mass; 1.0 = off; default 1.0
 * @param minP           drop tokens below minP × the top probability; 0 = off; default 0.0
 * @param maxNewTokens   response length cap in tokens; default 16 (a tiny-model default; the
 *                       paper uses 128)
 * @param minNewTokens   end-of-sequence is suppressed before this many tokens; default 0
 * @param stop           strings that end a response (not included in it); default none
 * @param batchSize      sequences generated together (prompts × k per pass, at least k): the memory
 *                       knob of generation (KV cache and logits grow with it); default 512
 */
public record SamplingConfig(
        @JsonProperty("k") Integer k,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("max_new_tokens") Integer maxNewTokens,
        @JsonProperty("min_new_tokens") Integer minNewTokens,
        @JsonProperty("stop") List<String> stop,
        @JsonProperty("batch_size") Integer batchSize) implements Validated {

    public SamplingConfig {
        k = k != null ? k : 8;
        temperature = temperature != null ? temperature : 1.0;
        topK = topK != null ? topK : 0;
        topP = topP != null ? topP : 1.0;
        minP = minP != null ? minP : 0.0;
        maxNewTokens = maxNewTokens != null ? maxNewTokens : 16;
        minNewTokens = minNewTokens != null ? minNewTokens : 0;
        stop = stop != null ? Collections.unmodifiableList(new ArrayList<>(stop)) : List.of(); // nulls kept for validate
        batchSize = batchSize != null ? batchSize : 512;
    }

    /** All defaults. */
    public static SamplingConfig defaults() {
        return new SamplingConfig(null, null, null, null, null, null, null, null, null);
    }

    @Override
    public void validate(Path file) {
        validate(file, "");
    }

    /** Checks every field; {@code prefix} is where this record sits, e.g. "sampling". */
    public void validate(Path file, String prefix) {
        Validate.positive(file, Validate.field(prefix, "k"), k);
        Validate.nonNegative(file, Validate.field(prefix, "temperature"), temperature);
        Validate.nonNegative(file, Validate.field(prefix, "top_k"), topK);
        Validate.fraction(file, Validate.field(prefix, "top_p"), topP);
        Validate.check(minP >= 0 && minP < 1, file, Validate.field(prefix, "min_p"),
                "must be in [0, 1), got " + minP);
        Validate.positive(file, Validate.field(prefix, "max_new_tokens"), maxNewTokens);
        Validate.inRange(file, Validate.field(prefix, "min_new_tokens"), minNewTokens, 0, maxNewTokens);
        Validate.noEmptyStrings(file, Validate.field(prefix, "stop"), stop);
        Validate.positive(file, Validate.field(prefix, "batch_size"), batchSize);
    }
}

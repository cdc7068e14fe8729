package dev.raftj.lora;

import dev.raftj.core.UserError;
import dev.raftj.model.CausalLM;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which adapter an alignment run trains, and where it restarts (ReST-EM). */
public final class LoraRun {
    private LoraRun() {}

    /**
     * The adapter to train: a resumed run's checkpoint, else the configured adapter to continue
     * ({@code sft.lora.adapter}), else a fresh one drawn from {@code seed}. The run's lora.dropout
     * applies in every case.
     */
    public static LoraAdapter adapter(CausalLM policy, LoraConfig config, Path checkpoint, long seed) {
        if (checkpoint != null) {
            if (!PeftFiles.isAdapter(checkpoint)) {
                throw new UserError(checkpoint + ": holds no adapter (" + PeftFiles.CONFIG + "), but the run trains one (sft.lora)");
            }
            return PeftFiles.read(checkpoint, policy, config.dropout());
        }
        return initial(policy, config, seed);
    }

    /** The adapter the run starts from: the configured one, or a fresh one (B = 0: the base model). */
    public static LoraAdapter initial(CausalLM policy, LoraConfig config, long seed) {
        if (config.adapter() == null) return LoraAdapter.create(policy, config, seed);
        Path dir = Path.of(config.adapter());
        if (!Files.isDirectory(dir)) throw new UserError("sft.lora.adapter: " + dir + ": adapter folder not found");
        return PeftFiles.read(dir, policy, config.dropout());
    }
}

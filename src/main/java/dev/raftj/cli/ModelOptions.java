package dev.raftj.cli;

import dev.raftj.core.UserError;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Option;

/** Options shared by commands that run a model: threads, device, dtype. */
final class ModelOptions {
    @Option(names = "--threads", description = "LibTorch intra-op threads (default: available cores).")
    int threads = 0;

    @Option(names = "--device", description = "cpu or cuda[:N] (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--dtype", description = "float32 or bfloat16 compute dtype (default: ${DEFAULT-VALUE}).")
    String dtype = "float32";

    /** More intra-op threads than this is a typo, not a setting (LibTorch would start them all). */
    static final int MAX_THREADS = 1024;

    void init() {
        checkThreads(threads, "--threads");
        Torch.init(threads);
    }

    /** 0 (all cores) or a positive count up to {@link #MAX_THREADS}; {@code name} is the flag or field. */
    static void checkThreads(long threads, String name) {
        if (threads < 0) throw new UserError(name + " must be >= 0 (0 = all cores), got " + threads);
        if (threads > MAX_THREADS) {
            throw new UserError(name + " must be at most " + MAX_THREADS + " (this machine has "
                    + Runtime.getRuntime().availableProcessors() + " cores), got " + threads);
        }
    }

    Device device() {
        try {
            return Torch.device(device);
        } catch (UserError e) {
            throw new UserError("--device: " + e.getMessage());
        }
    }

    ScalarType dtype() {
        return switch (dtype) {
            case "float32", "fp32" -> ScalarType.Float;
            case "bfloat16", "bf16" -> ScalarType.BFloat16;
            default -> throw new UserError("--dtype: unknown dtype '" + dtype + "' (float32, bfloat16)");
        };
    }
}

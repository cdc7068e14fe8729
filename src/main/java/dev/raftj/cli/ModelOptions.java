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

    void init() {
        if (threads < 0) throw new UserError("--threads must be >= 0, got " + threads);
        Torch.init(threads);
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

package dev.raftj.kernels;

import java.lang.reflect.Method;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Device;

/**
 * Picks and logs (once) the Kernels implementation for a device: the CUDA kernels for CUDA tensors
 * when they load, raftj's CPU kernels for CPU tensors when they load, else the LibTorch reference.
 * {@code -Draftj.kernels=torch} keeps the reference everywhere (to compare end to end).
 */
final class KernelChoice {
    private static final System.Logger LOG = System.getLogger("raftj.kernels");
    private static final TorchKernels TORCH = new TorchKernels();
    private static final Map<String, Kernels> CHOSEN = new ConcurrentHashMap<>();

    private KernelChoice() {}

    static Kernels forDevice(Device device) {
        String kind = device.is_cuda() ? "cuda" : "cpu";
        return CHOSEN.computeIfAbsent(kind, k -> {
            boolean referenceOnly = "torch".equals(System.getProperty("raftj.kernels"));
            Kernels chosen = referenceOnly ? null : k.equals("cuda") ? cudaOrNull()
                    : CpuKernels.loaded() ? new CpuSamplingKernels(TORCH) : null;
            if (chosen == null) chosen = TORCH;
            LOG.log(System.Logger.Level.INFO, "kernels for " + k + " tensors: " + chosen.name());
            return chosen;
        });
    }

    /** CudaKernels is optional (built only where nvcc exists), so it is found reflectively. */
    private static Kernels cudaOrNull() {
        try {
            Class<?> c = Class.forName("dev.raftj.kernels.CudaKernels");
            Method available = c.getMethod("available");
            if (Boolean.TRUE.equals(available.invoke(null))) {
                return (Kernels) c.getDeclaredConstructor().newInstance();
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "CUDA kernels unavailable: " + e);
        }
        return null;
    }
}

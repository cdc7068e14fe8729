package dev.raftj.torch;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Cheap checks for NaN and ±∞ in tensors. The fast test is one dot product of the values with
 * themselves (one read of the memory, no temporary the size of the tensor): a NaN or ±∞ anywhere
 * makes it non-finite. Finite values so large that their squares overflow make it non-finite too,
 * so a failing fast test is confirmed element by element before anyone is told.
 */
public final class Finite {
    private Finite() {}

    /** True when every value of a floating tensor is finite (integer and boolean tensors always are). */
    public static boolean all(Tensor t) {
        if (!t.is_floating_point() || t.numel() == 0) return true;
        try (PointerScope scope = new PointerScope()) {
            Tensor flat = t.detach().reshape(-1);
            if (dotSupported(Torch.dtype(flat)) && Double.isFinite(flat.dot(flat).item_double())) return true;
            return torch.isfinite(flat).all().item_bool();
        }
    }

    /** "3 NaN, 1 +inf" (counts of the non-finite values), or "" when there are none. */
    public static String describe(Tensor t) {
        if (!t.is_floating_point()) return "";
        try (PointerScope scope = new PointerScope()) {
            Tensor flat = t.detach().reshape(-1);
            long nan = flat.isnan().sum().item_long();
            long pos = flat.isposinf().sum().item_long();
            long neg = flat.isneginf().sum().item_long();
            StringBuilder sb = new StringBuilder();
            if (nan > 0) sb.append(nan).append(" NaN");
            if (pos > 0) sb.append(sb.length() > 0 ? ", " : "").append(pos).append(" +inf");
            if (neg > 0) sb.append(sb.length() > 0 ? ", " : "").append(neg).append(" -inf");
            return sb.toString();
        }
    }

    /** Dtypes whose dot product LibTorch computes on every device (half on CPU is not one of them). */
    static boolean dotSupported(ScalarType t) {
        return t == ScalarType.Float || t == ScalarType.Double || t == ScalarType.BFloat16;
    }
}

package dev.raftj.lora;

/** PEFT's LoRA arithmetic as small pure functions. */
public final class LoraMath {
    private LoraMath() {}

    /** The factor on B·A: α/r (LoRA), or α/√r (rsLoRA, Kalajdzievski 2023). */
    public static double scaling(double alpha, int r, boolean rslora) {
        return rslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /**
     * The bound b of U(−b, b) that {@code nn.init.kaiming_uniform_(w, a=√5)} draws from for a
     * weight with {@code fanIn} inputs: gain = √(2/(1+a²)) = √(1/3), b = gain·√(3/fanIn) = 1/√fanIn.
     */
    public static double kaimingUniformBound(long fanIn) {
        double a = Math.sqrt(5);
        double gain = Math.sqrt(2.0 / (1 + a * a));
        return gain * Math.sqrt(3.0 / fanIn);
    }

    /** PEFT's {@code init_lora_weights="gaussian"}: A ~ N(0, σ²) with σ = 1/r. */
    public static double gaussianStd(int r) {
        return 1.0 / r;
    }

    /**
     * PEFT's match of a module path against a list of target names: the path equals the name or
     * ends with "." + name ({@code q_proj} matches {@code model.layers.0.self_attn.q_proj}).
     */
    public static boolean matches(String module, String target) {
        return module.equals(target) || module.endsWith("." + target);
    }
}

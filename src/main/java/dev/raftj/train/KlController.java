package dev.raftj.train;

/**
 * The KL coefficient β of PPO's per-token penalty: fixed, or adaptive toward a target KL (Ziegler
 * et al. 2019, as OpenRLHF's AdaptiveKLController has it):
 * β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·n/horizon), after each rollout of n samples whose
 * measured KL was KL.
 */
public final class KlController {
    private final Double target;
    private final double horizon;
    private double value;

    private KlController(double initial, Double target, double horizon) {
        this.value = initial;
        this.target = target;
        this.horizon = horizon;
    }

    /** β stays {@code beta}. */
    public static KlController fixed(double beta) {
        return new KlController(beta, null, 1);
    }

    /** β starts at {@code initial} and moves toward {@code target} KL over {@code horizon} samples. */
    public static KlController adaptive(double initial, double target, double horizon) {
        if (!(target > 0) || !(horizon > 0)) throw new IllegalArgumentException("target and horizon must be > 0");
        return new KlController(initial, target, horizon);
    }

    public double value() {
        return value;
    }

    /** Continues from a saved β (a resumed run). */
    public void set(double beta) {
        value = beta;
    }

    public boolean adaptive() {
        return target != null;
    }

    /** After a rollout of {@code samples} samples whose KL was {@code currentKl}; a fixed β does not move. */
    public void update(double currentKl, int samples) {
        if (target == null) return;
        double error = Math.max(-0.2, Math.min(0.2, currentKl / target - 1));
        value *= 1 + error * samples / horizon;
    }
}

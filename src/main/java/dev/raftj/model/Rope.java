package dev.raftj.model;

/** Rotary position embedding frequencies, as HF computes them (default and "llama3" types). */
final class Rope {
    private Rope() {}

    static float[] inverseFrequencies(ModelConfig.Rope rope, int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(rope.theta(), (2.0 * i) / headDim));
        }
        if (rope.type().equals("llama3")) {
            // Llama 3.1: long wavelengths slowed by `factor`, short ones kept, smooth between.
            double lowWavelen = rope.originalMaxPositions() / rope.lowFreqFactor();
            double highWavelen = rope.originalMaxPositions() / rope.highFreqFactor();
            for (int i = 0; i < inv.length; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowWavelen) {
                    inv[i] = (float) (inv[i] / rope.factor());
                } else if (wavelen >= highWavelen) {
                    double smooth = (rope.originalMaxPositions() / wavelen - rope.lowFreqFactor())
                            / (rope.highFreqFactor() - rope.lowFreqFactor());
                    inv[i] = (float) ((1 - smooth) * inv[i] / rope.factor() + smooth * inv[i]);
                }
            }
        }
        return inv;
    }
}

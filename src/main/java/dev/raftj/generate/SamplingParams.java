package dev.raftj.generate;

/**
 * How to draw new tokens. temperature 0 means greedy; topK 0 and topP 1 and minP 0 mean off.
 *
 * @param maxNewTokens  new tokens per sample at most
 * @param minNewTokens  end-of-sequence is suppressed before this many new tokens
 * @param numSamples    samples per prompt (K)
 * @param ignoreEos     keep going after end-of-sequence (exactly maxNewTokens per sample)
 * @param seed          makes sampling reproducible
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, int maxNewTokens,
                             int minNewTokens, int numSamples, boolean ignoreEos, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
            throw new IllegalArgumentException("min new tokens must be in [0, max new tokens], got " + minNewTokens);
        }
        if (numSamples < 1) throw new IllegalArgumentException("samples per prompt must be >= 1, got " + numSamples);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0, 0, 1, 0, maxNewTokens, 0, 1, false, 0);
    }

    public static SamplingParams sampling(double temperature, int maxNewTokens, int numSamples, long seed) {
        return new SamplingParams(temperature, 0, 1, 0, maxNewTokens, 0, numSamples, false, seed);
    }

    public SamplingParams withIgnoreEos(boolean on) {
        return new SamplingParams(temperature, topK, topP, minP, maxNewTokens, minNewTokens, numSamples, on, seed);
    }

    public SamplingParams withSamples(int k, long newSeed) {
        return new SamplingParams(temperature, topK, topP, minP, maxNewTokens, minNewTokens, k, ignoreEos, newSeed);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}

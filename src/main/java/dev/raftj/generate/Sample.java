package dev.raftj.generate;

/**
 * One generated response.
 *
 * @param prompt      index of its prompt in the request
 * @param sample      index among that prompt's samples
 * @param tokens      the new tokens, including the end-of-sequence token when one was drawn
 * @param logprobs    log p of each new token under the model (temperature 1, unfiltered)
 * @param endedByEos  true when generation stopped at end-of-sequence
 */
public record Sample(int prompt, int sample, int[] tokens, float[] logprobs, boolean endedByEos) {

    public double sumLogprob() {
        double s = 0;
        for (float l : logprobs) s += l;
        return s;
    }
}

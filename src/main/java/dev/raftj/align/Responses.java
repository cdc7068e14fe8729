package dev.raftj.align;

import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampled responses as text (for rewards) and as training tokens. A response cut at a stop
 * sequence is re-encoded from the cut text and ends with EOS, so fine-tuning teaches the stop;
 * its generation log-probability no longer belongs to its tokens, so {@code cut} marks it.
 *
 * @param logprobSums log π of each response's tokens as generated (valid for its tokens only where
 *                    {@code cut} is false)
 */
public record Responses(List<String> texts, List<int[]> tokens, double[] logprobSums, boolean[] cut) {

    public static Responses of(List<Sample> samples, Tokenizer tok, List<String> stops, int eosId) {
        List<String> texts = new ArrayList<>(samples.size());
        List<int[]> tokens = new ArrayList<>(samples.size());
        double[] logp = new double[samples.size()];
        boolean[] cut = new boolean[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int[] t = s.tokens();
            String text = tok.decode(t);
            int at = firstStop(text, stops);
            logp[i] = s.sumLogprob();
            if (at >= 0) {
                text = text.substring(0, at);
                int[] enc = tok.encode(text);
                t = Arrays.copyOf(enc, enc.length + (eosId >= 0 ? 1 : 0));
                if (eosId >= 0) t[enc.length] = eosId;
                cut[i] = true;
            }
            texts.add(text);
            tokens.add(t);
        }
        return new Responses(texts, tokens, logp, cut);
    }

    static int firstStop(String text, List<String> stops) {
        int best = -1;
        if (stops == null) return best;
        for (String s : stops) {
            int i = s.isEmpty() ? -1 : text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}

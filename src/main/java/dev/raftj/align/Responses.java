package dev.raftj.align;

import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampled responses as text (for rewards) and as training tokens. A response cut at a stop
 * sequence is re-encoded from the cut text and ends with EOS, so fine-tuning teaches the stop.
 */
public record Responses(List<String> texts, List<int[]> tokens, double[] logprobSums) {

    public static Responses of(List<Sample> samples, Tokenizer tok, List<String> stops, int eosId) {
        List<String> texts = new ArrayList<>(samples.size());
        List<int[]> tokens = new ArrayList<>(samples.size());
        double[] logp = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int[] t = s.tokens();
            String text = tok.decode(t);
            int cut = firstStop(text, stops);
            logp[i] = s.sumLogprob();
            if (cut >= 0) {
                text = text.substring(0, cut);
                int[] enc = tok.encode(text);
                t = Arrays.copyOf(enc, enc.length + (eosId >= 0 ? 1 : 0));
                if (eosId >= 0) t[enc.length] = eosId;
            }
            texts.add(text);
            tokens.add(t);
        }
        return new Responses(texts, tokens, logp);
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

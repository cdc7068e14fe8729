package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.raftj.Reference;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The head-on-response-positions, logsumexp scoring equals the full [B, T, V] log_softmax sum. */
class SequenceLogprobsTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void matchesTheFullLogSoftmax(String name) {
        CausalLM lm = CausalLM.load(Reference.model(name));
        Random rnd = new Random(4);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            int pl = i == 3 ? 0 : 1 + rnd.nextInt(10), rl = i == 5 ? 0 : 1 + rnd.nextInt(20);
            prompts.add(rnd.ints(pl, 2, 512).toArray());
            responses.add(rnd.ints(rl, 2, 512).toArray());
        }
        double[] got = SequenceLogprobs.of(lm, prompts, responses, 5);
        for (int i = 0; i < prompts.size(); i++) {
            int[] p = prompts.get(i), r = responses.get(i);
            int len = p.length + r.length;
            if (len == 0) continue;
            long[] ids = new long[len], ones = new long[len];
            for (int j = 0; j < len; j++) {
                ids[j] = j < p.length ? p[j] : r[j - p.length];
                ones[j] = 1;
            }
            Tensor logp = torch.log_softmax(lm.logits(Torch.longs(ids, 1, len), Torch.longs(ones, 1, len)), 2);
            float[] all = Torch.toFloats(logp);
            double want = 0;
            for (int j = Math.max(p.length, 1); j < len; j++) want += all[(j - 1) * 512 + (int) ids[j]];
            assertEquals(want, got[i], 1e-4 + 1e-5 * Math.abs(want), "row " + i + " of " + name);
        }
    }
}

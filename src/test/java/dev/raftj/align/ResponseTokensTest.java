package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.raftj.model.CausalLM;
import dev.raftj.tasks.Tasks;
import dev.raftj.torch.Torch;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

/** The response-aligned layout PPO and GRPO compute per-token quantities in. */
class ResponseTokensTest {

    @Test
    void columnsAreResponseTokensAndIndexNamesThePositionThatPredictsThem() {
        ResponseTokens b = ResponseTokens.of(List.of(new int[] {5, 6, 7}, new int[] {8}),
                List.of(new int[] {9, 0}, new int[] {10, 11, 0}), 1, new Device("cpu"));
        assertArrayEquals(new long[] {2, 3, 0, 0, 1, 2}, Torch.toLongs(b.index()));
        assertArrayEquals(new float[] {1, 1, 0, 1, 1, 1}, Torch.toFloats(b.mask()));
        double[][] rows = {{0.5, -1}, {2, 3, 4}};
        assertArrayEquals(new float[] {0.5f, -1, 0, 2, 3, 4}, Torch.toFloats(b.rows(rows)));
        double[][] back = b.ragged(b.rows(rows));
        assertArrayEquals(rows[0], back[0]);
        assertArrayEquals(rows[1], back[1]);
        assertArrayEquals(new float[] {7, 7, 0, -2, -2, -2}, Torch.toFloats(b.perRow(new double[] {7, -2})));
    }

    /** Per-token log π summed over a response equals the sequence log-probability SFT and RAFT use. */
    @Test
    void perTokenLogprobsSumToTheSequenceLogprob() {
        CausalLM policy = CausalLM.load(Tasks.get("arith").policy());
        List<int[]> prompts = List.of(new int[] {'1', '2', '+', '3', '5', '='}, new int[] {'3', '+', '4', '='},
                new int[] {'9', '+', '9', '='});
        List<int[]> responses = List.of(new int[] {'4', '7', 0}, new int[] {'7', 0}, new int[] {'1', '8', '8', '8', 0});
        double[] sums = SequenceLogprobs.of(policy, prompts, responses, 64);
        double[][] perToken = ResponseTokens.logprobs(policy, prompts, responses, 2);
        for (int i = 0; i < sums.length; i++) {
            assertEquals(responses.get(i).length, perToken[i].length);
            double s = 0;
            for (double v : perToken[i]) s += v;
            assertEquals(sums[i], s, 1e-4, "response " + i);
        }
        assertEquals(0, perToken[1].length - 2);
    }
}

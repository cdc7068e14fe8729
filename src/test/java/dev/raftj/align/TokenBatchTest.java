package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.raftj.torch.Torch;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

/** SFT batches: the loss is on response tokens only; prompt and padding are masked with −100. */
class TokenBatchTest {

    @Test
    void labelsMaskPromptAndPadding() {
        TokenBatch b = TokenBatch.of(List.of(new int[] {5, 6, 7}, new int[] {8}),
                List.of(new int[] {9, 0}, new int[] {10, 11, 0}), 1, new Device("cpu"));
        assertArrayEquals(new long[] {5, 6, 7, 9, 0, 8, 10, 11, 0, 1}, Torch.toLongs(b.ids()));
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, Torch.toLongs(b.mask()));
        assertArrayEquals(new long[] {-100, -100, -100, 9, 0, -100, 10, 11, 0, -100}, Torch.toLongs(b.labels()));
    }
}

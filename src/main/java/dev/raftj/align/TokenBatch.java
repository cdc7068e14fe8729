package dev.raftj.align;

import dev.raftj.torch.Torch;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Prompt + response token sequences as one right-padded batch: ids, mask, and SFT labels
 * (the response tokens; −100 on the prompt and padding, so the loss is on responses only).
 */
public record TokenBatch(Tensor ids, Tensor mask, Tensor labels) {

    public static TokenBatch of(List<int[]> prompts, List<int[]> responses, int padId, Device device) {
        int n = prompts.size();
        int width = 1;
        for (int i = 0; i < n; i++) width = Math.max(width, prompts.get(i).length + responses.get(i).length);
        long[] ids = new long[n * width], mask = new long[n * width], labels = new long[n * width];
        Arrays.fill(ids, padId);
        Arrays.fill(labels, -100);
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i), r = responses.get(i);
            for (int j = 0; j < p.length; j++) {
                ids[i * width + j] = p[j];
                mask[i * width + j] = 1;
            }
            for (int j = 0; j < r.length; j++) {
                ids[i * width + p.length + j] = r[j];
                mask[i * width + p.length + j] = 1;
                labels[i * width + p.length + j] = r[j];
            }
        }
        return new TokenBatch(Torch.longs(ids, n, width).to(device, ScalarType.Long),
                Torch.longs(mask, n, width).to(device, ScalarType.Long),
                Torch.longs(labels, n, width).to(device, ScalarType.Long));
    }
}

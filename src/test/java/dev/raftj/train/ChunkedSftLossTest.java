package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.align.TokenBatch;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chunked head + cross-entropy (by hand) equals autograd's full-logits loss, value and gradients. */
class ChunkedSftLossTest {

    @ParameterizedTest
    @CsvSource({"gpt2-tiny, 1, false", "gpt2-tiny, 7, false", "gpt2-tiny, 100000, false", "llama-tiny, 5, false",
            "llama-tiny, 100000, false", "gpt2-tiny, 7, true", "llama-tiny, 5, true"})
    void chunkedMatchesFullLogits(String name, long chunkRows, boolean accumulate) {
        matchesFullLogits(name, chunkRows, accumulate, 6, 0);
    }

    /**
     * Micro-batches of rows (gradient accumulation inside a step) give the whole batch's mean loss
     * and gradient, also when a micro-batch has no label at all (its rows' labels all −100).
     */
    @ParameterizedTest
    @CsvSource({"gpt2-tiny, 1, 0", "gpt2-tiny, 4, 0", "gpt2-tiny, 2, 2", "llama-tiny, 4, 3", "llama-tiny, 5, 0"})
    void microBatchesMatchTheWholeBatch(String name, long microRows, int unlabelledRows) {
        matchesFullLogits(name, 7, false, microRows, unlabelledRows);
    }

    private static void matchesFullLogits(String name, long chunkRows, boolean accumulate, long microRows,
                                          int unlabelledRows) {
        CausalLM lm = CausalLM.load(Reference.model(name));
        TokenBatch b = SftLossTest.randomBatch(lm, 11);
        if (unlabelledRows > 0) b.labels().narrow(0, 0, unlabelledRows).fill_(new org.bytedeco.pytorch.Scalar(-100));
        lm.trainable(true);
        try {
            Tensor full = SftLoss.maskedCrossEntropy(lm.logits(b.ids(), b.mask()), b.labels());
            full.backward();
            SparseGrads.densify(lm.parameters());
            List<float[]> fullGrads = new ArrayList<>();
            for (Tensor p : lm.parameters()) {
                fullGrads.add(Torch.toFloats(p.grad()));
                // as SftStep's zeroGrad (no gradient buffer), or kept: backward adds to it, so twice the gradient
                if (!accumulate) p.mutable_grad().put(new Tensor());
            }
            double chunked = ChunkedSftLoss.lossAndBackward(lm, b.ids(), b.mask(), b.labels(), chunkRows, microRows);
            SparseGrads.densify(lm.parameters());
            assertEquals(Torch.item(full), chunked, 1e-5);
            int i = 0;
            for (Tensor p : lm.parameters()) {
                float[] want = fullGrads.get(i++), got = Torch.toFloats(p.grad());
                if (accumulate) for (int j = 0; j < want.length; j++) want[j] *= 2;
                for (int j = 0; j < want.length; j++) {
                    assertTrue(Math.abs(want[j] - got[j]) <= 1e-6 + 1e-4 * Math.abs(want[j]),
                            name + " parameter " + (i - 1) + " element " + j + ": " + got[j] + " vs " + want[j]);
                }
            }
        } finally {
            lm.trainable(false);
        }
    }

    /** A head that is not float32 takes autograd per micro-batch: the same mean loss and gradient. */
    @Test
    void microBatchesOnTheAutogradPathMatchTheWholeBatch() {
        CausalLM lm = CausalLM.load(Reference.model("llama-tiny"), new org.bytedeco.pytorch.Device("cpu"),
                org.bytedeco.pytorch.global.torch.ScalarType.Double);
        TokenBatch b = SftLossTest.randomBatch(lm, 11);
        b.labels().narrow(0, 2, 1).fill_(new org.bytedeco.pytorch.Scalar(-100)); // one micro-batch of 1 has no label
        lm.trainable(true);
        try {
            double whole = ChunkedSftLoss.lossAndBackward(lm, b.ids(), b.mask(), b.labels(), 7, 6);
            List<float[]> wholeGrads = new ArrayList<>();
            for (Tensor p : lm.parameters()) {
                wholeGrads.add(Torch.toFloats(p.grad().to_dense()));
                p.mutable_grad().put(new Tensor());
            }
            double micro = ChunkedSftLoss.lossAndBackward(lm, b.ids(), b.mask(), b.labels(), 7, 1);
            assertEquals(whole, micro, 1e-5); // the cross-entropy runs in float32 (SftLoss)
            int i = 0;
            for (Tensor p : lm.parameters()) {
                float[] want = wholeGrads.get(i++), got = Torch.toFloats(p.grad().to_dense());
                for (int j = 0; j < want.length; j++) {
                    assertEquals(want[j], got[j], 1e-8 + 1e-5 * Math.abs(want[j]), "parameter " + (i - 1) + " element " + j);
                }
            }
        } finally {
            lm.trainable(false);
        }
    }

    @Test
    void rowsPerChunkCoversTheVocabulary() {
        assertEquals(83, ChunkedSftLoss.rowsPerChunk(50257, ChunkedSftLoss.DEFAULT_CHUNK_ELEMENTS));
        assertEquals(1, ChunkedSftLoss.rowsPerChunk(1L << 23, ChunkedSftLoss.DEFAULT_CHUNK_ELEMENTS));
    }
}

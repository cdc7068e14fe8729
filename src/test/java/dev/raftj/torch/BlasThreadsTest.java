package dev.raftj.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.junit.jupiter.api.Test;

/** The BLAS thread rule: large GEMMs get LibTorch's threads, small ones one, only with quick-sleeping workers. */
class BlasThreadsTest {

    @Test
    void largeProductsUseTheIntraOpThreadsSmallOnesOne() {
        Torch.init(2);
        try {
            boolean quick = Torch.quickSleep(System.getenv("OPENBLAS_THREAD_TIMEOUT"));
            Torch.gemmRows(64, 768, 3072); // a 124M decode step: 151M multiply-adds
            assertEquals(quick ? 2 : 1, Torch.blasThreads());
            assertEquals(quick ? 2 : 1, openblas_nolapack.blas_get_num_threads(), "OpenBLAS itself follows");
            Torch.gemmRows(512, 64, 256); // a tiny model's decode step: 8M
            assertEquals(quick ? 2 : 1, Torch.blasThreads());
            Torch.gemmRows(32, 64, 256); // 32 rows of a tiny model: 0.5M, below the threshold
            assertEquals(1, Torch.blasThreads());
            assertEquals(1, openblas_nolapack.blas_get_num_threads());
        } finally {
            Torch.init(0);
        }
    }

    @Test
    void timeoutParsing() {
        assertTrue(Torch.quickSleep("4"));
        assertTrue(Torch.quickSleep(" 8 "));
        assertFalse(Torch.quickSleep(null));
        assertFalse(Torch.quickSleep("28"));
        assertFalse(Torch.quickSleep("x"));
        assertFalse(Torch.quickSleep("0"));
    }
}

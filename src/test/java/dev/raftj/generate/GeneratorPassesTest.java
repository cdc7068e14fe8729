package dev.raftj.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.raftj.Reference;
import dev.raftj.model.CausalLM;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Generation in passes of at most batchRows sequences: same layout, own random numbers per pass. */
class GeneratorPassesTest {
    static final CausalLM MODEL = CausalLM.load(Reference.model("gpt2-tiny"));
    static final SamplingParams PARAMS = SamplingParams.sampling(1.0, 6, 4, 11).withIgnoreEos(true);

    @Test
    void passesKeepThePromptMajorLayout() {
        List<int[]> prompts = List.of(new int[] {5, 6, 7}, new int[] {9}, new int[] {3, 4}, new int[] {8, 1, 2, 3});
        List<Sample> out = new Generator(MODEL, 8).generate(prompts, PARAMS); // 2 prompts × 4 samples a pass
        assertEquals(16, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i / 4, out.get(i).prompt(), "prompt of sample " + i);
            assertEquals(i % 4, out.get(i).sample(), "sample index of sample " + i);
            assertEquals(6, out.get(i).tokens().length);
        }
        // The first pass is the unsplit call on its prompts.
        List<Sample> first = new Generator(MODEL, 512).generate(prompts.subList(0, 2), PARAMS);
        for (int i = 0; i < 8; i++) assertArrayEquals(first.get(i).tokens(), out.get(i).tokens(), "sample " + i);
    }

    @Test
    void laterPassesDrawOtherRandomNumbers() {
        int[] p = {5, 6, 7};
        List<int[]> twice = List.of(p, p);
        // One pass: the copies sit in rows 0-3 and 4-7, so they differ anyway; in passes of one prompt
        // each, a repeated seed would give the second copy exactly the first one's samples.
        List<Sample> out = new Generator(MODEL, 4).generate(twice, PARAMS);
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            a.add(Arrays.toString(out.get(i).tokens()));
            b.add(Arrays.toString(out.get(4 + i).tokens()));
        }
        assertFalse(a.equals(b), "both passes drew the same samples: " + a);
    }
}

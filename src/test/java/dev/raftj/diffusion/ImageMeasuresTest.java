package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.ConfigError;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The image rewards and the diversity measure on images small enough to score by hand. */
class ImageMeasuresTest {
    /** A 4×4 image, lit (1) where the string has '#', else −1. */
    private static float[] img(String rows) {
        String s = rows.replace("\n", "");
        float[] v = new float[s.length()];
        for (int i = 0; i < v.length; i++) v[i] = s.charAt(i) == '#' ? 1f : -1f;
        return v;
    }

    @Test
    void symmetryIsIouWithTheMirrorImage() {
        assertEquals(1.0, ImageRewards.symmetry(img(".##.\n#..#\n.##.\n...."), 4), 1e-12);
        // lit {(0,0),(0,1)}, mirror {(0,3),(0,2)}: no overlap
        assertEquals(0.0, ImageRewards.symmetry(img("##..\n....\n....\n...."), 4), 1e-12);
        // lit {(0,0),(0,1),(0,2)}, mirror {(0,3),(0,2),(0,1)}: 2 shared of 4
        assertEquals(0.5, ImageRewards.symmetry(img("###.\n....\n....\n...."), 4), 1e-12);
        assertEquals(0.0, ImageRewards.symmetry(img("....\n....\n....\n...."), 4), 1e-12);
    }

    @Test
    void brightnessAndLitCount() {
        float[] quarter = img("####\n....\n....\n....");
        assertEquals(1 - Math.abs(0.25 - 0.5), ImageRewards.brightness(quarter, 0.5), 1e-12);
        assertEquals(1.0, ImageRewards.litCount(quarter, 4), 1e-12);
        assertEquals(0.5, ImageRewards.litCount(quarter, 8), 1e-12);
        assertEquals(0.0, ImageRewards.litCount(quarter, 1), 1e-12);
    }

    @Test
    void rewardSpecsParseOrNameTheField() {
        assertEquals(0.5, ImageRewards.parse("lit:8", Path.of("run.yaml"), "reward").rule()
                .score(img("####\n....\n....\n...."), 4), 1e-12);
        ConfigError e = assertThrows(ConfigError.class, () -> ImageRewards.parse("symetry", Path.of("run.yaml"), "reward"));
        assertTrue(e.getMessage().contains("reward") && e.getMessage().contains("symetry"), e.getMessage());
        assertThrows(ConfigError.class, () -> ImageRewards.parse("brightness:2", Path.of("run.yaml"), "reward"));
    }

    @Test
    void diversityAveragesPairwiseDistancesWithinClasses() {
        // class 0: (0,0), (3,4), (0,4): distances 5, 4, 3 → 4; class 1: (1,1), (1,1) → 0; mean 2
        float[] images = {0, 0, 3, 4, 0, 4, 1, 1, 1, 1};
        assertEquals(2.0, Diversity.meanPairwiseL2(images, new long[] {0, 0, 0, 1, 1}, 2), 1e-9);
        // a class of one image has no pairs and is left out
        assertEquals(4.0, Diversity.meanPairwiseL2(new float[] {0, 0, 3, 4, 0, 4, 9, 9}, new long[] {0, 0, 0, 1}, 2), 1e-6);
    }

    @Test
    void shapesCentredOnTheAxisAreSymmetricAndClassesDiffer() {
        float[] disc = Shapes.draw(0, 1), cross = Shapes.draw(2, 1);
        assertTrue(disc.length == Shapes.SIZE * Shapes.SIZE);
        int differ = 0;
        for (int i = 0; i < disc.length; i++) if ((disc[i] > 0) != (cross[i] > 0)) differ++;
        assertTrue(differ > 5, "a disc and a cross from the same draw should differ, " + differ + " pixels did");
        // the random centre makes base shapes asymmetric on average
        double mean = 0;
        for (int i = 0; i < 200; i++) mean += ImageRewards.symmetry(Shapes.draw(i % 4, 1000 + i), Shapes.SIZE) / 200;
        assertTrue(mean > 0.2 && mean < 0.8, "generator's mean symmetry " + mean);
    }
}

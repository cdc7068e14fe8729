package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.tasks.TaskResources;
import dev.raftj.torch.Torch;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shapes task's shipped files: the model has the documented architecture, the classifier names generated shapes. */
class ShippedShapesTest {
    @Test
    void shippedModelAndClassifierLoad() {
        Torch.init(1);
        Path dir = TaskResources.materialise(ShapesBuild.TASK, DiffusionAlign.SHIPPED);
        DiffusionModel m = DiffusionModel.load(dir.resolve("model"));
        UNetConfig want = ShapesBuild.architecture();
        assertArrayEquals(want.blockOutChannels(), m.config().blockOutChannels());
        assertEquals(want.numClassEmbeds(), m.config().numClassEmbeds());
        assertEquals(1000, m.schedule().steps());
        ShapeClassifier c = ShapeClassifier.load(dir.resolve("classifier"));
        long[] y = Shapes.labels(256, 77);
        double acc = c.accuracy(Shapes.batch(y, 78), y);
        assertTrue(acc > 0.95, "shipped classifier's accuracy on generated shapes " + acc);
    }
}

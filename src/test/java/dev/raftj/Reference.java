package dev.raftj;

import static org.junit.jupiter.api.Assertions.fail;

import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * The HF reference checkpoints and goldens shipped with the tests (src/test/resources/reference,
 * copied from the team's shared reference set; see its README.md), and llm.c-style numeric
 * comparison. A missing checkpoint or golden fails the test: it is never a skip.
 */
public final class Reference {
    private Reference() {}

    public static Path root() {
        URL url = Reference.class.getResource("/reference/README.md");
        if (url == null) fail("test resource /reference/README.md is missing from the test classpath");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The folder of one reference model; fails the calling test when it is absent. */
    public static Path model(String name) {
        Path dir = root().resolve(name);
        if (!Files.isDirectory(dir)) fail("reference checkpoint folder missing: " + dir);
        return dir;
    }

    public static Map<String, Tensor> golden(String name) {
        return SafeTensors.read(model(name).resolve("golden.safetensors"));
    }

    /** Fails, naming the worst element, unless |a − ref| ≤ atol + rtol·|ref| everywhere. */
    public static void assertClose(String what, float[] ref, float[] actual, double atol, double rtol) {
        if (ref.length != actual.length) fail(what + ": length " + actual.length + " != " + ref.length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < ref.length; i++) {
            double excess = Math.abs(actual[i] - ref[i]) - (atol + rtol * Math.abs(ref[i]));
            if (Double.isNaN(actual[i]) || excess > worstExcess) {
                worstExcess = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: element %d is %.7g, reference %.7g (|diff| %.3g > atol %.1g + rtol %.1g·|ref|)",
                    what, worst, actual[worst], ref[worst], Math.abs(actual[worst] - ref[worst]), atol, rtol));
        }
    }

    public static float[] floats(Tensor t) {
        return Torch.toFloats(t);
    }
}

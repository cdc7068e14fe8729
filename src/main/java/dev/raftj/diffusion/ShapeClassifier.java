package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A tiny CNN that names the class of a grayscale image (conv 3×3 → ReLU → 2×2 average pool, twice,
 * then a linear layer). Trained on the task's own generator, it is the held-out judge of whether a
 * diffusion model still draws the class it is asked for. Folder: config.json ({@code classes},
 * {@code sample_size}, {@code channels}) and model.safetensors.
 */
public final class ShapeClassifier {
    private final List<String> classes;
    private final int size;
    private final int[] channels;
    private final Map<String, Tensor> w;

    private ShapeClassifier(List<String> classes, int size, int[] channels, Map<String, Tensor> w) {
        this.classes = classes;
        this.size = size;
        this.channels = channels;
        this.w = w;
    }

    public List<String> classes() {
        return classes;
    }

    static ShapeClassifier initialize(List<String> classes, int size, int[] channels, long seed) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("conv1.weight", new long[] {channels[0], 1, 3, 3});
        shapes.put("conv1.bias", new long[] {channels[0]});
        shapes.put("conv2.weight", new long[] {channels[1], channels[0], 3, 3});
        shapes.put("conv2.bias", new long[] {channels[1]});
        long flat = (long) channels[1] * (size / 4) * (size / 4);
        shapes.put("fc.weight", new long[] {classes.size(), flat});
        shapes.put("fc.bias", new long[] {classes.size()});
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        Map<String, Tensor> w = new LinkedHashMap<>();
        long[] fanIns = {9, 9, 9L * channels[0], 9L * channels[0], flat, flat};
        int k = 0;
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            double bound = 1 / Math.sqrt(fanIns[k++]);
            for (int i = 0; i < v.length; i++) v[i] = (float) ((UNet2D.uniform(rng) * 2 - 1) * bound);
            Tensor t = Torch.floats(v, e.getValue());
            t.set_requires_grad(true);
            w.put(e.getKey(), t);
        }
        return new ShapeClassifier(classes, size, channels, w);
    }

    private Tensor logits(Tensor x) {
        Tensor h = torch.avg_pool2d(torch.relu(conv(x, "conv1")), 2, 2);
        h = torch.avg_pool2d(torch.relu(conv(h, "conv2")), 2, 2);
        return torch.linear(h.flatten(1, 3), w.get("fc.weight"), new TensorOptional(w.get("fc.bias")));
    }

    private Tensor conv(Tensor x, String p) {
        return torch.conv2d(x, w.get(p + ".weight"), new TensorOptional(w.get(p + ".bias")), new long[] {1, 1},
                new long[] {1, 1}, new long[] {1, 1}, 1);
    }

    /** The predicted class of each image of a flat batch. */
    public int[] predict(float[] images) {
        int n = images.length / (size * size);
        try (PointerScope scope = new PointerScope(); var g = new org.bytedeco.pytorch.NoGradGuard()) {
            long[] arg = Torch.toLongs(logits(Torch.floats(images, n, 1, size, size)).argmax(new org.bytedeco.pytorch.LongOptional(1), false));
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = (int) arg[i];
            return out;
        }
    }

    /** Fraction of images whose predicted class is {@code labels[i]}. */
    public double accuracy(float[] images, long[] labels) {
        int[] p = predict(images);
        int ok = 0;
        for (int i = 0; i < p.length; i++) if (p[i] == labels[i]) ok++;
        return (double) ok / p.length;
    }

    /** Trains a classifier on the shapes generator (cross-entropy, AdamW); logs held-out accuracy. */
    public static ShapeClassifier train(long seed, int steps, int batch, double lr, PrintWriter log) {
        ShapeClassifier c = initialize(Shapes.CLASSES, Shapes.SIZE, new int[] {16, 32}, seed);
        List<Tensor> params = new ArrayList<>(c.w.values());
        try (AdamW opt = new AdamW(new TensorVector(params.toArray(new Tensor[0])), new AdamWOptions(lr))) {
            for (int s = 0; s < steps; s++) {
                long stepSeed = Shuffle.deriveSeed(seed, 1000 + s);
                long[] y = Shapes.labels(batch, stepSeed);
                float[] x = Shapes.batch(y, Shuffle.deriveSeed(stepSeed, 1));
                try (PointerScope scope = new PointerScope()) {
                    opt.zero_grad();
                    Tensor loss = torch.cross_entropy(c.logits(Torch.floats(x, batch, 1, Shapes.SIZE, Shapes.SIZE)),
                            Torch.longs(y, batch));
                    loss.backward();
                    opt.step();
                    if ((s + 1) % 100 == 0 || s == steps - 1) {
                        log.printf("classifier step %d/%d  loss %.4f%n", s + 1, steps, Torch.item(loss));
                        log.flush();
                    }
                }
            }
        }
        for (var e : c.w.entrySet()) e.setValue(e.getValue().detach());
        return c;
    }

    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create: " + e.getMessage(), e);
        }
        ObjectNode n = JsonFields.JSON.createObjectNode();
        var cl = n.putArray("classes");
        classes.forEach(cl::add);
        n.put("sample_size", size);
        n.putArray("channels").add(channels[0]).add(channels[1]);
        JsonFields.write(dir.resolve("config.json"), n);
        SafeTensors.write(dir.resolve(SafeTensors.SINGLE), w, Map.of("format", "pt"));
    }

    public static ShapeClassifier load(Path dir) {
        Path file = dir.resolve("config.json");
        JsonNode n = JsonFields.read(file);
        JsonNode cl = n.get("classes");
        if (cl == null || !cl.isArray() || cl.isEmpty()) throw UserError.field(file, "classes", "expected a non-empty list of names");
        List<String> classes = new ArrayList<>();
        cl.forEach(c -> classes.add(c.asText()));
        int size = JsonFields.intField(file, n, "sample_size", null);
        JsonNode ch = n.get("channels");
        if (ch == null || !ch.isArray() || ch.size() != 2) throw UserError.field(file, "channels", "expected two integers");
        int[] channels = {ch.get(0).intValue(), ch.get(1).intValue()};
        Map<String, Tensor> w = SafeTensors.readCheckpoint(dir);
        ShapeClassifier fresh = initialize(classes, size, channels, 0);
        for (var e : fresh.w.entrySet()) {
            Tensor t = w.get(e.getKey());
            if (t == null) throw new UserError(dir.resolve(SafeTensors.SINGLE) + ": weight '" + e.getKey() + "' is missing");
            if (!java.util.Arrays.equals(Torch.shape(t), Torch.shape(e.getValue()))) {
                throw new UserError(dir.resolve(SafeTensors.SINGLE) + ": weight '" + e.getKey() + "' has the wrong shape");
            }
        }
        return new ShapeClassifier(classes, size, channels, w);
    }
}

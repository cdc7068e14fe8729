package dev.raftj.model;

import dev.raftj.torch.Torch;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A Hugging Face checkpoint folder: config.json, model.safetensors (or shards), tokenizer files.
 * Loading converts floating weights to the compute dtype and device and remembers each tensor's
 * stored dtype, so that saving writes the same names, shapes and dtypes back.
 */
public final class Checkpoint {
    /** Files besides the weights that travel with a model folder when it is saved elsewhere. */
    private static final String[] SIDE_FILES = {"tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt"};

    public final ModelConfig config;
    public final Map<String, Tensor> weights;
    public final Map<String, ScalarType> storedDtypes;
    public final Path dir;

    private Checkpoint(Path dir, ModelConfig config, Map<String, Tensor> weights, Map<String, ScalarType> stored) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.storedDtypes = stored;
    }

    /** Reads a checkpoint; floating weights become {@code dtype} on {@code device}. */
    public static Checkpoint load(Path dir, Device device, ScalarType dtype) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": model folder not found");
        ModelConfig config = ModelConfig.load(dir);
        Map<String, Tensor> raw = SafeTensors.readCheckpoint(dir);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, ScalarType> stored = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            Tensor t = e.getValue();
            stored.put(e.getKey(), Torch.dtype(t));
            Tensor converted = t.is_floating_point() ? t.to(device, dtype) : t.to(device, Torch.dtype(t));
            weights.put(e.getKey(), converted);
        }
        return new Checkpoint(dir, config, weights, stored);
    }

    /**
     * Writes config.json, model.safetensors (tensors in their stored dtype) and the side files of
     * {@code source} into {@code target}. The folder appears whole or not at all: everything is
     * written to a sibling temp folder which then replaces {@code target}. Weights holding NaN or
     * ±∞ are never written: the call fails before touching {@code target}.
     */
    public static void save(Path target, ModelConfig config, Map<String, Tensor> weights,
                            Map<String, ScalarType> storedDtypes, Path source) {
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            if (!dev.raftj.torch.Finite.all(e.getValue())) {
                throw new UserError(target + ": not saved: tensor '" + e.getKey() + "' holds non-finite values ("
                        + dev.raftj.torch.Finite.describe(e.getValue()) + ")");
            }
        }
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : weights.entrySet()) {
                ScalarType st = storedDtypes.getOrDefault(e.getKey(), Torch.dtype(e.getValue()));
                out.put(e.getKey(), e.getValue().detach().to(st));
            }
            SafeTensors.write(tmp.resolve(SafeTensors.SINGLE), out, Map.of("format", "pt"));
            config.save(tmp);
            if (source != null) {
                for (String f : SIDE_FILES) {
                    Path p = source.resolve(f);
                    if (Files.exists(p) && !Files.exists(tmp.resolve(f))) Files.copy(p, tmp.resolve(f));
                }
            }
            Path old = abs.resolveSibling(abs.getFileName() + ".old-" + ProcessHandle.current().pid());
            if (Files.exists(abs)) Files.move(abs, old);
            Files.move(tmp, abs);
            deleteTree(old);
        } catch (IOException e) {
            throw new UserError(target + ": cannot write checkpoint: " + e.getMessage(), e);
        }
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}

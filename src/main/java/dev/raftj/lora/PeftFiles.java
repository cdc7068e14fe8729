package dev.raftj.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.model.AdaptableModel;
import dev.raftj.model.RewardModel;
import dev.raftj.model.Checkpoint;
import dev.raftj.model.Projection;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Finite;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A LoRA adapter folder exactly as PEFT writes and reads it: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} [r, in]
 * and {@code .lora_B.weight} [out, r].
 */
public final class PeftFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final String KEY_PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PeftFiles() {}

    /** Whether {@code dir} holds an adapter (its config file). */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    static String keyA(String module) {
        return KEY_PREFIX + module + ".lora_A.weight";
    }

    static String keyB(String module) {
        return KEY_PREFIX + module + ".lora_B.weight";
    }

    /**
     * Writes the adapter into {@code target}, whole or not at all (a sibling temp folder renamed
     * into place). {@code baseModel} goes into base_model_name_or_path. Non-finite values are refused.
     */
    public static void write(Path target, LoraAdapter adapter, String baseModel) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (LoraAdapter.Layer l : adapter.layers().values()) {
            tensors.put(keyA(l.projection().module()), l.a());
            tensors.put(keyB(l.projection().module()), l.b());
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (!Finite.all(e.getValue())) {
                throw new UserError(target + ": adapter not saved: tensor '" + e.getKey() + "' holds non-finite values ("
                        + Finite.describe(e.getValue()) + ")");
            }
        }
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Checkpoint.deleteTree(tmp);
            Files.createDirectories(tmp);
            SafeTensors.write(tmp.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            Files.writeString(tmp.resolve(CONFIG), JSON.writeValueAsString(configJson(adapter, baseModel)) + "\n");
            Path old = abs.resolveSibling(abs.getFileName() + ".old-" + ProcessHandle.current().pid());
            if (Files.exists(abs)) Files.move(abs, old);
            Files.move(tmp, abs);
            Checkpoint.deleteTree(old);
        } catch (IOException e) {
            throw new UserError(target + ": cannot write the adapter: " + e.getMessage(), e);
        }
    }

    /** PEFT's LoraConfig fields for a plain LoRA on a causal LM. */
    static ObjectNode configJson(LoraAdapter adapter, String baseModel) {
        LoraConfig c = adapter.config();
        boolean fanInFanOut = adapter.layers().values().stream().anyMatch(l -> l.projection().fanInFanOut());
        ObjectNode o = JSON.createObjectNode();
        o.putObject("alpha_pattern");
        o.put("base_model_name_or_path", baseModel);
        o.put("bias", "none");
        o.put("fan_in_fan_out", fanInFanOut);
        o.put("inference_mode", true);
        if (c.init() == LoraConfig.Init.GAUSSIAN) o.put("init_lora_weights", "gaussian");
        else o.put("init_lora_weights", true);
        o.putNull("layers_pattern");
        o.putNull("layers_to_transform");
        if (c.alpha() == Math.rint(c.alpha())) o.put("lora_alpha", c.alpha().longValue());
        else o.put("lora_alpha", c.alpha());
        o.put("lora_dropout", c.dropout());
        o.putNull("modules_to_save");
        o.put("peft_type", "LORA");
        o.put("r", c.r());
        o.putObject("rank_pattern");
        o.putNull("revision");
        var targets = o.putArray("target_modules");
        c.targetModules().forEach(targets::add);
        o.put("task_type", "CAUSAL_LM");
        o.put("use_dora", false);
        o.put("use_rslora", c.rslora());
        return o;
    }

    /**
     * Reads a PEFT LoRA adapter for {@code model}: every module its target_modules match must have
     * both tensors with the right shapes, and nothing else may be in the file. Tensors take the
     * model's dtype and device. {@code dropout}, when not null, replaces the file's lora_dropout
     * (training settings belong to the run).
     */
    public static LoraAdapter read(Path dir, AdaptableModel model, Double dropout) {
        return read(dir, model, dropout, false).adapter;
    }

    /**
     * A reward model's adapter (PEFT's task_type SEQ_CLS): the LoRA tensors, and the head PEFT saves
     * when modules_to_save names {@code score} ({@code base_model.model.score.weight} [1, d], optional
     * bias), which then replaces the reward model's head. Attaches both.
     */
    public static LoraAdapter attachToRewardModel(Path dir, RewardModel model) {
        Loaded l = read(dir, model, null, true);
        Path weightsFile = dir.resolve(WEIGHTS);
        Tensor w = l.raw.get(KEY_PREFIX + "score.weight");
        if (w != null) {
            Tensor head = tensor(l.raw, weightsFile, KEY_PREFIX + "score.weight", new long[] {1, model.config().hidden}, model);
            Tensor bias = l.raw.containsKey(KEY_PREFIX + "score.bias")
                    ? tensor(l.raw, weightsFile, KEY_PREFIX + "score.bias", new long[] {1}, model) : null;
            model.replaceHead(head, bias);
        }
        model.attach(l.adapter);
        return l.adapter;
    }

    private record Loaded(LoraAdapter adapter, Map<String, Tensor> raw) {}

    private static Loaded read(Path dir, AdaptableModel model, Double dropout, boolean rewardHead) {
        Path configFile = dir.resolve(CONFIG), weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile)) throw new UserError(dir + ": not a LoRA adapter folder (no " + CONFIG + ")");
        if (!Files.isRegularFile(weightsFile)) throw new UserError(dir + ": no " + WEIGHTS + " beside " + CONFIG);
        LoraConfig config = readConfig(configFile, dropout, rewardHead);
        List<Projection> targets = LoraAdapter.targetProjections(model, config.targetModules(),
                configFile + ": field 'target_modules'");
        Map<String, Tensor> raw = SafeTensors.read(weightsFile, true);
        Map<String, LoraAdapter.Layer> layers = new LinkedHashMap<>();
        TreeSet<String> unused = new TreeSet<>(raw.keySet());
        if (rewardHead) {
            unused.remove(KEY_PREFIX + "score.weight");
            unused.remove(KEY_PREFIX + "score.bias");
        }
        for (Projection p : targets) {
            Tensor a = tensor(raw, weightsFile, keyA(p.module()), new long[] {config.r(), p.in()}, model);
            Tensor b = tensor(raw, weightsFile, keyB(p.module()), new long[] {p.out(), config.r()}, model);
            unused.remove(keyA(p.module()));
            unused.remove(keyB(p.module()));
            layers.put(p.module(), new LoraAdapter.Layer(p, a, b));
        }
        if (!unused.isEmpty()) {
            throw new UserError(weightsFile + ": tensor '" + unused.first() + "' belongs to no module that target_modules "
                    + config.targetModules() + " selects in " + model.dir() + " (raftj reads plain LoRA A/B weights only)");
        }
        return new Loaded(new LoraAdapter(config, layers), raw);
    }

    private static Tensor tensor(Map<String, Tensor> raw, Path file, String key, long[] shape, AdaptableModel model) {
        Tensor t = raw.get(key);
        if (t == null) throw new UserError(file + ": tensor '" + key + "' missing (target_modules selects that module)");
        if (!t.is_floating_point() || !Arrays.equals(Torch.shape(t), shape)) {
            throw new UserError(file + ": tensor '" + key + "' has shape " + Arrays.toString(Torch.shape(t)) + " "
                    + SafeTensors.dtypeName(Torch.dtype(t)) + ", expected " + Arrays.toString(shape)
                    + " floating point (r and the projection's size in " + model.config().file + ")");
        }
        return t.to(model.device(), model.dtype()).clone();
    }

    /**
     * adapter_config.json, strictly: what raftj cannot reproduce exactly is refused, naming the
     * field. modules_to_save may name a reward model's head ({@code score}, and {@code classifier},
     * which PEFT adds for every SEQ_CLS adapter) when {@code rewardHead}.
     */
    static LoraConfig readConfig(Path file, Double dropout, boolean rewardHead) {
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (o == null || !o.isObject()) throw new UserError(file + ": not a JSON object");
        String type = o.path("peft_type").asText("");
        if (!type.equals("LORA")) throw UserError.field(file, "peft_type", "must be \"LORA\", got " + o.get("peft_type"));
        JsonNode r = o.get("r");
        if (r == null || !r.canConvertToInt() || !r.isIntegralNumber() || r.intValue() < 1) {
            throw UserError.field(file, "r", "must be an integer >= 1, got " + r);
        }
        JsonNode alpha = o.get("lora_alpha");
        if (alpha == null || !alpha.isNumber() || !(alpha.doubleValue() > 0)) {
            throw UserError.field(file, "lora_alpha", "must be a number > 0, got " + alpha);
        }
        double drop = o.path("lora_dropout").asDouble(0.0);
        if (!(drop >= 0 && drop < 1)) throw UserError.field(file, "lora_dropout", "must be in [0, 1), got " + o.get("lora_dropout"));
        refuse(file, o, "use_dora", n -> n.asBoolean(false), "DoRA adapters are not supported");
        refuse(file, o, "bias", n -> !n.isNull() && !n.asText().equals("none"), "only bias \"none\" is supported");
        refuse(file, o, "modules_to_save", n -> !n.isNull() && !(n.isArray() && onlyHead(n, rewardHead)),
                rewardHead ? "only a reward model's head (score) can be saved beside the adapter"
                        : "modules_to_save is not supported for a causal LM");
        refuse(file, o, "rank_pattern", n -> n.isObject() && !n.isEmpty(), "per-module ranks are not supported");
        refuse(file, o, "alpha_pattern", n -> n.isObject() && !n.isEmpty(), "per-module alphas are not supported");
        refuse(file, o, "layers_to_transform", n -> !n.isNull(), "layers_to_transform is not supported");
        JsonNode t = o.get("target_modules");
        List<String> targets = new ArrayList<>();
        if (t != null && t.isArray()) t.forEach(n -> targets.add(n.asText()));
        if (targets.isEmpty() || targets.stream().anyMatch(String::isEmpty)) {
            throw UserError.field(file, "target_modules", "must be a non-empty list of module names, got " + t);
        }
        LoraConfig.Init init = o.path("init_lora_weights").asText("true").equals("gaussian")
                ? LoraConfig.Init.GAUSSIAN : LoraConfig.Init.DEFAULT;
        return new LoraConfig(r.intValue(), alpha.doubleValue(), dropout != null ? dropout : drop, targets,
                o.path("use_rslora").asBoolean(false), init, null);
    }

    private static boolean onlyHead(JsonNode list, boolean rewardHead) {
        for (JsonNode n : list) if (!rewardHead || !(n.asText().equals("score") || n.asText().equals("classifier"))) return false;
        return true;
    }

    private static void refuse(Path file, JsonNode o, String field, java.util.function.Predicate<JsonNode> bad, String why) {
        JsonNode n = o.get(field);
        if (n != null && bad.test(n)) throw UserError.field(file, field, why + ", got " + n);
    }
}

package dev.raftj.lora;

import dev.raftj.model.CausalLM;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/** Folds an adapter into its base: W' = W + s·B·A (transposed for Conv1D), as PEFT's merge_and_unload. */
public final class LoraMerge {
    private LoraMerge() {}

    /** The base's weights under their checkpoint names with the adapter folded in (new tensors where changed). */
    public static Map<String, Tensor> mergedWeights(CausalLM base, LoraAdapter adapter) {
        Map<String, Tensor> out = new LinkedHashMap<>(base.weights());
        try (NoGradGuard guard = new NoGradGuard()) {
            for (LoraAdapter.Layer l : adapter.layers().values()) {
                String key = l.projection().weightKey();
                Tensor w = out.get(key);
                out.put(key, w.add(adapter.delta(l).to(w.device(), dev.raftj.torch.Torch.dtype(w))));
            }
        }
        return out;
    }

    /** Writes the merged model as an HF folder (config, safetensors in the stored dtypes, tokenizer files). */
    public static void write(CausalLM base, LoraAdapter adapter, Path out) {
        base.saveWith(out, mergedWeights(base, adapter));
    }
}

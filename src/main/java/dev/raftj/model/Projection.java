package dev.raftj.model;

/**
 * A linear projection of a model that an adapter may wrap.
 *
 * @param module      Hugging Face module path, e.g. {@code transformer.h.0.attn.c_attn}
 * @param weightKey   the weight's key in the loaded checkpoint (may lack the module prefix)
 * @param in          input features
 * @param out         output features
 * @param fanInFanOut the weight is stored [in, out] (GPT-2's Conv1D) rather than [out, in] (nn.Linear)
 */
public record Projection(String module, String weightKey, long in, long out, boolean fanInFanOut) {}

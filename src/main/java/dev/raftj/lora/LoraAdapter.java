package dev.raftj.lora;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.model.AdaptableModel;
import dev.raftj.model.CausalLM;
import dev.raftj.model.Projection;
import dev.raftj.model.ProjectionAdapter;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A LoRA adapter on a causal LM's projections, as PEFT computes it: for each target projection
 * with frozen weight W, {@code y = W·x + s · B·A·dropout(x)} with A [r, in], B [out, r] and
 * s = α/r (α/√r with rsLoRA). GPT-2's Conv1D stores W as [in, out] (PEFT's {@code fan_in_fan_out});
 * A and B keep nn.Linear's layout either way, and only merging transposes.
 */
public final class LoraAdapter implements ProjectionAdapter {

    /** One wrapped projection: A [r, in] and B [out, r]. */
    public record Layer(Projection projection, Tensor a, Tensor b) {}

    private final LoraConfig config;
    private final Map<String, Layer> layers;
    private final double scale;

    LoraAdapter(LoraConfig config, Map<String, Layer> layers) {
        this.config = config;
        this.layers = Collections.unmodifiableMap(layers);
        this.scale = config.scaling();
    }

    /**
     * A fresh adapter for {@code model}'s projections that match the targets: A drawn from
     * {@code seed} (kaiming-uniform with a = √5, or N(0, (1/r)²)), B zeros, so the adapted model
     * starts equal to the base. Attach it with {@link CausalLM#attach}.
     */
    public static LoraAdapter create(AdaptableModel model, LoraConfig config, long seed) {
        List<String> targets = config.targetsFor(model.config().family);
        LoraConfig resolved = config.withTargets(targets);
        Map<String, Layer> layers = new LinkedHashMap<>();
        int index = 0;
        for (Projection p : targetProjections(model, targets, "sft.lora.target_modules")) {
            float[] a = initialA(config.init(), config.r(), p.in(), Shuffle.deriveSeed(seed, index++));
            Tensor ta = Torch.floats(a, config.r(), p.in()).to(model.device(), model.dtype());
            Tensor tb = torch.zeros(new long[] {p.out(), config.r()}, Torch.options(model.dtype(), model.device()));
            layers.put(p.module(), new Layer(p, ta, tb));
        }
        return new LoraAdapter(resolved, layers);
    }

    /**
     * The projections of {@code model} whose module path matches one of {@code targets}; a target
     * that matches nothing is an error naming {@code field} (PEFT refuses it too).
     */
    static List<Projection> targetProjections(AdaptableModel model, List<String> targets, String field) {
        List<Projection> out = new ArrayList<>();
        for (Projection p : model.projections()) {
            for (String t : targets) {
                if (LoraMath.matches(p.module(), t)) {
                    out.add(p);
                    break;
                }
            }
        }
        for (String t : targets) {
            if (out.stream().noneMatch(p -> LoraMath.matches(p.module(), t))) {
                List<String> names = new ArrayList<>();
                for (Projection p : model.projections()) {
                    String leaf = p.module().substring(p.module().lastIndexOf('.') + 1);
                    if (!names.contains(leaf)) names.add(leaf);
                }
                throw new UserError(field + ": '" + t + "' matches no projection of " + model.dir() + " ("
                        + model.config().modelType + "; its projections are " + String.join(", ", names) + ")");
            }
        }
        return out;
    }

    /** A's initial values [r × in], row-major: U(−1/√in, 1/√in) or N(0, (1/r)²). */
    static float[] initialA(LoraConfig.Init init, int r, long in, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[Math.toIntExact(r * in)];
        double bound = LoraMath.kaimingUniformBound(in), std = LoraMath.gaussianStd(r);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (init == LoraConfig.Init.GAUSSIAN ? rng.nextGaussian() * std : rng.nextDouble(-bound, bound));
        }
        return a;
    }

    public LoraConfig config() {
        return config;
    }

    /** s = α/r, or α/√r with rsLoRA. */
    public double scale() {
        return scale;
    }

    /** The wrapped projections by module path, in the model's order. */
    public Map<String, Layer> layers() {
        return layers;
    }

    @Override
    public Tensor adapt(String module, Tensor input, Tensor output, boolean training) {
        Layer l = layers.get(module);
        if (l == null) return output;
        Tensor x = training && config.dropout() > 0 ? torch.dropout(input, config.dropout(), true) : input;
        return output.add(torch.linear(torch.linear(x, l.a), l.b).mul(Torch.scalar(scale)));
    }

    @Override
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>();
        for (Layer l : layers.values()) {
            p.add(l.a);
            p.add(l.b);
        }
        return p;
    }

    @Override
    public boolean hasDropout() {
        return config.dropout() > 0;
    }

    /** Trainable numbers: Σ r·(in + out). */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) n += t.numel();
        return n;
    }

    /** Copies another adapter's A and B (same modules and shapes) into this one, in place. */
    public void copyFrom(LoraAdapter other) {
        if (!other.layers.keySet().equals(layers.keySet())) {
            throw new IllegalArgumentException("adapters on different modules: " + other.layers.keySet() + " vs " + layers.keySet());
        }
        try (NoGradGuard guard = new NoGradGuard()) {
            List<Tensor> to = parameters(), from = other.parameters();
            for (int i = 0; i < to.size(); i++) to.get(i).copy_(from.get(i));
        }
    }

    /**
     * The change the adapter makes to a projection's weight, in the weight's own layout:
     * s·B·A [out, in], transposed to [in, out] for fan-in-fan-out (Conv1D) weights.
     */
    public Tensor delta(Layer l) {
        Tensor d = torch.matmul(l.b, l.a).mul(Torch.scalar(scale));
        return l.projection().fanInFanOut() ? d.t().contiguous() : d;
    }
}

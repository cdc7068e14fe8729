package dev.raftj.diffusion;

import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The ε-prediction U-Net of diffusers' {@code UNet2DModel}, written with LibTorch ops on a map of
 * weights named as diffusers names them: sinusoidal time embedding → MLP (+ label embedding),
 * conv_in, down levels of residual blocks (GroupNorm, SiLU, 3×3 convs, time projection) with
 * optional self-attention and a stride-2 conv between levels, a middle block (resnet, attention,
 * resnet), up levels that concatenate the down path's activations, nearest-neighbour ×2 and a
 * conv between levels, then GroupNorm, SiLU, conv_out. No dropout, so training and sampling run
 * the same graph.
 */
public final class UNet2D {
    private final UNetConfig config;
    private final Map<String, Tensor> weights;

    public UNet2D(UNetConfig config, Map<String, Tensor> weights, Path source) {
        this.config = config;
        this.weights = weights;
        Map<String, long[]> expected = expectedShapes(config);
        for (var e : expected.entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null) throw new UserError(source + ": weight '" + e.getKey() + "' is missing");
            if (!java.util.Arrays.equals(Torch.shape(t), e.getValue())) {
                throw new UserError(source + ": weight '" + e.getKey() + "' has shape " + java.util.Arrays.toString(Torch.shape(t))
                        + ", config.json implies " + java.util.Arrays.toString(e.getValue()));
            }
        }
        for (String name : weights.keySet()) {
            if (!expected.containsKey(name)) throw new UserError(source + ": unexpected weight '" + name + "' for this config.json");
        }
    }

    /** Fresh weights from a seed: PyTorch's default init (U(±1/√fan_in) for convs and linears, N(0,1) embeddings, GroupNorm 1/0). */
    public static UNet2D initialize(UNetConfig config, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        for (var e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            int n = 1;
            for (long d : shape) n *= (int) d;
            float[] v = new float[n];
            if (name.contains("norm") && name.endsWith(".weight")) {
                java.util.Arrays.fill(v, 1f);
            } else if (name.contains("norm")) {
                // biases of norms stay 0
            } else if (name.equals("class_embedding.weight")) {
                for (int i = 0; i < n; i++) v[i] = (float) Gaussian.next(rng);
            } else {
                long fanIn = fanIn(name, config, shape, expectedShapes(config));
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < n; i++) v[i] = (float) ((uniform(rng) * 2 - 1) * bound);
            }
            w.put(name, Torch.floats(v, shape));
        }
        return new UNet2D(config, w, Path.of("(initialized)"));
    }

    private static long fanIn(String name, UNetConfig c, long[] shape, Map<String, long[]> all) {
        if (name.endsWith(".weight")) {
            long f = 1;
            for (int i = 1; i < shape.length; i++) f *= shape[i];
            return f;
        }
        long[] w = all.get(name.substring(0, name.length() - ".bias".length()) + ".weight");
        long f = 1;
        for (int i = 1; i < w.length; i++) f *= w[i];
        return f;
    }

    static double uniform(Shuffle.SplitMix64 rng) {
        return (rng.nextLong() >>> 11) * 0x1.0p-53;
    }

    public UNetConfig config() {
        return config;
    }

    public Map<String, Tensor> weights() {
        return weights;
    }

    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>();
        for (Tensor t : weights.values()) p.add(t);
        return p;
    }

    /** Makes every weight a trainable leaf (a private copy, so a memory-mapped checkpoint is never written). */
    public void trainable() {
        for (var e : weights.entrySet()) {
            if (!e.getValue().requires_grad()) {
                Tensor t = e.getValue().detach().clone();
                t.set_requires_grad(true);
                e.setValue(t);
            }
        }
    }

    /** The weights' shapes, by diffusers name, in a fixed order. */
    static Map<String, long[]> expectedShapes(UNetConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        int[] ch = c.blockOutChannels();
        long temb = c.timeEmbedDim();
        linear(s, "time_embedding.linear_1", ch[0], temb);
        linear(s, "time_embedding.linear_2", temb, temb);
        if (c.numClassEmbeds() != null) s.put("class_embedding.weight", new long[] {c.numClassEmbeds(), temb});
        conv(s, "conv_in", c.inChannels(), ch[0]);
        int out = ch[0];
        for (int i = 0; i < c.levels(); i++) {
            int in = out;
            out = ch[i];
            for (int j = 0; j < c.layersPerBlock(); j++) {
                resnet(s, "down_blocks." + i + ".resnets." + j, j == 0 ? in : out, out, temb);
                if (c.attention()[i]) attention(s, "down_blocks." + i + ".attentions." + j, out);
            }
            if (i < c.levels() - 1) conv(s, "down_blocks." + i + ".downsamplers.0.conv", out, out);
        }
        int mid = ch[c.levels() - 1];
        resnet(s, "mid_block.resnets.0", mid, mid, temb);
        if (c.midAttention()) attention(s, "mid_block.attentions.0", mid);
        resnet(s, "mid_block.resnets.1", mid, mid, temb);
        int prev = mid;
        for (int u = 0; u < c.levels(); u++) {
            int level = c.levels() - 1 - u;
            int outCh = ch[level], inCh = ch[Math.max(level - 1, 0)];
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                int skip = j == c.layersPerBlock() ? inCh : outCh;
                resnet(s, "up_blocks." + u + ".resnets." + j, (j == 0 ? prev : outCh) + skip, outCh, temb);
                if (c.attention()[level]) attention(s, "up_blocks." + u + ".attentions." + j, outCh);
            }
            if (level > 0) conv(s, "up_blocks." + u + ".upsamplers.0.conv", outCh, outCh);
            prev = outCh;
        }
        norm(s, "conv_norm_out", ch[0]);
        conv(s, "conv_out", ch[0], c.outChannels());
        return s;
    }

    private static void linear(Map<String, long[]> s, String p, long in, long out) {
        s.put(p + ".weight", new long[] {out, in});
        s.put(p + ".bias", new long[] {out});
    }

    private static void conv(Map<String, long[]> s, String p, long in, long out) {
        s.put(p + ".weight", new long[] {out, in, 3, 3});
        s.put(p + ".bias", new long[] {out});
    }

    private static void norm(Map<String, long[]> s, String p, long ch) {
        s.put(p + ".weight", new long[] {ch});
        s.put(p + ".bias", new long[] {ch});
    }

    private static void resnet(Map<String, long[]> s, String p, long in, long out, long temb) {
        norm(s, p + ".norm1", in);
        conv(s, p + ".conv1", in, out);
        linear(s, p + ".time_emb_proj", temb, out);
        norm(s, p + ".norm2", out);
        conv(s, p + ".conv2", out, out);
        if (in != out) {
            s.put(p + ".conv_shortcut.weight", new long[] {out, in, 1, 1});
            s.put(p + ".conv_shortcut.bias", new long[] {out});
        }
    }

    private static void attention(Map<String, long[]> s, String p, long ch) {
        norm(s, p + ".group_norm", ch);
        linear(s, p + ".to_q", ch, ch);
        linear(s, p + ".to_k", ch, ch);
        linear(s, p + ".to_v", ch, ch);
        linear(s, p + ".to_out.0", ch, ch);
    }

    /**
     * diffusers' {@code get_timestep_embedding} with flip_sin_to_cos and no frequency shift:
     * [cos(t·f_0) … cos(t·f_{h−1}), sin(t·f_0) … sin(t·f_{h−1})], f_i = 10000^(−i/h), h = dim/2.
     */
    public static double[] timestepEmbedding(double t, int dim) {
        int half = dim / 2;
        double[] e = new double[dim];
        for (int i = 0; i < half; i++) {
            double f = Math.exp(-Math.log(10000) * i / half);
            e[i] = Math.cos(t * f);
            e[half + i] = Math.sin(t * f);
        }
        return e;
    }

    /**
     * ε̂(x_t, t, label): x [B, C, S, S] float, timesteps [B] (one per image), labels [B] (null for
     * an unconditional model; the last embedding row means "no label").
     */
    public Tensor forward(Tensor x, int[] timesteps, long[] labels) {
        int dim = config.blockOutChannels()[0];
        float[] te = new float[timesteps.length * dim];
        for (int b = 0; b < timesteps.length; b++) {
            double[] e = timestepEmbedding(timesteps[b], dim);
            for (int i = 0; i < dim; i++) te[b * dim + i] = (float) e[i];
        }
        Tensor emb = linear(torch.silu(linear(Torch.floats(te, timesteps.length, dim),
                "time_embedding.linear_1")), "time_embedding.linear_2");
        if (config.numClassEmbeds() != null) {
            if (labels == null) throw new IllegalArgumentException("a class-conditioned model needs labels");
            emb = emb.add(torch.embedding(w("class_embedding.weight"), Torch.longs(labels, labels.length)));
        }
        Tensor h = conv(x, "conv_in", 1);
        List<Tensor> skips = new ArrayList<>();
        skips.add(h);
        for (int i = 0; i < config.levels(); i++) {
            for (int j = 0; j < config.layersPerBlock(); j++) {
                h = resnet(h, emb, "down_blocks." + i + ".resnets." + j);
                if (config.attention()[i]) h = attention(h, "down_blocks." + i + ".attentions." + j);
                skips.add(h);
            }
            if (i < config.levels() - 1) {
                h = conv(h, "down_blocks." + i + ".downsamplers.0.conv", 2);
                skips.add(h);
            }
        }
        h = resnet(h, emb, "mid_block.resnets.0");
        if (config.midAttention()) h = attention(h, "mid_block.attentions.0");
        h = resnet(h, emb, "mid_block.resnets.1");
        for (int u = 0; u < config.levels(); u++) {
            int level = config.levels() - 1 - u;
            for (int j = 0; j <= config.layersPerBlock(); j++) {
                Tensor skip = skips.remove(skips.size() - 1);
                h = resnet(torch.cat(new TensorVector(h, skip), 1), emb, "up_blocks." + u + ".resnets." + j);
                if (config.attention()[level]) h = attention(h, "up_blocks." + u + ".attentions." + j);
            }
            if (level > 0) {
                h = torch.upsample_nearest2d(h, new long[] {h.size(2) * 2, h.size(3) * 2});
                h = conv(h, "up_blocks." + u + ".upsamplers.0.conv", 1);
            }
        }
        return conv(torch.silu(groupNorm(h, "conv_norm_out")), "conv_out", 1);
    }

    private Tensor resnet(Tensor x, Tensor emb, String p) {
        Tensor h = conv(torch.silu(groupNorm(x, p + ".norm1")), p + ".conv1", 1);
        Tensor t = linear(torch.silu(emb), p + ".time_emb_proj");
        h = h.add(t.unsqueeze(2).unsqueeze(3));
        h = conv(torch.silu(groupNorm(h, p + ".norm2")), p + ".conv2", 1);
        Tensor shortcut = weights.containsKey(p + ".conv_shortcut.weight")
                ? torch.conv2d(x, w(p + ".conv_shortcut.weight"), new TensorOptional(w(p + ".conv_shortcut.bias")),
                        new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 1)
                : x;
        return shortcut.add(h);
    }

    /** Self-attention over the S×S positions, heads of attention_head_dim channels, with a residual. */
    private Tensor attention(Tensor x, String p) {
        long b = x.size(0), c = x.size(1), hh = x.size(2), ww = x.size(3), n = hh * ww;
        long headDim = Math.min(config.attentionHeadDim(), c), heads = c / headDim;
        Tensor h = groupNorm(x, p + ".group_norm").view(b, c, n).transpose(1, 2);
        Tensor q = linear(h, p + ".to_q").view(b, n, heads, headDim).transpose(1, 2);
        Tensor k = linear(h, p + ".to_k").view(b, n, heads, headDim).transpose(1, 2);
        Tensor v = linear(h, p + ".to_v").view(b, n, heads, headDim).transpose(1, 2);
        Tensor scores = torch.matmul(q, k.transpose(2, 3)).mul(Torch.scalar(1.0 / Math.sqrt(headDim)));
        Tensor o = torch.matmul(torch.softmax(scores, 3), v).transpose(1, 2).reshape(b, n, c);
        o = linear(o, p + ".to_out.0");
        return o.transpose(1, 2).reshape(b, c, hh, ww).add(x);
    }

    private Tensor groupNorm(Tensor x, String p) {
        return torch.group_norm(x, config.normNumGroups(), new TensorOptional(w(p + ".weight")),
                new TensorOptional(w(p + ".bias")), config.normEps(), false);
    }

    private Tensor conv(Tensor x, String p, long stride) {
        return torch.conv2d(x, w(p + ".weight"), new TensorOptional(w(p + ".bias")), new long[] {stride, stride},
                new long[] {1, 1}, new long[] {1, 1}, 1);
    }

    private Tensor linear(Tensor x, String p) {
        return torch.linear(x, w(p + ".weight"), new TensorOptional(w(p + ".bias")));
    }

    private Tensor w(String name) {
        return weights.get(name);
    }
}

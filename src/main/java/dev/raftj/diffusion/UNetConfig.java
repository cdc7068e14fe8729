package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A model folder's {@code config.json}, in the style of diffusers' {@code UNet2DModel}: square
 * images of {@code sample_size}, one resolution level per entry of {@code block_out_channels}
 * (each level halves the size, the last keeps it), {@code layers_per_block} residual blocks per
 * level going down (one more going up), GroupNorm of {@code norm_num_groups} groups, and
 * self-attention in the levels whose down block type is {@code AttnDownBlock2D} and in the middle
 * block ({@code add_attention}). Class conditioning: {@code num_class_embeds} rows of a label
 * embedding, of which raftj uses the last as the "no label" row of classifier-free guidance, so
 * a model of n classes has n + 1; null means unconditional.
 */
public record UNetConfig(int sampleSize, int inChannels, int outChannels, int[] blockOutChannels, int layersPerBlock,
                         int normNumGroups, double normEps, Integer numClassEmbeds, boolean[] attention,
                         boolean midAttention, int attentionHeadDim) {
    public static final String FILE = "config.json";
    static final String DOWN = "DownBlock2D", ATTN_DOWN = "AttnDownBlock2D", UP = "UpBlock2D", ATTN_UP = "AttnUpBlock2D";

    public int levels() {
        return blockOutChannels.length;
    }

    /** The width of the time (and label) embedding: 4 × the first level's channels, as diffusers' default. */
    public int timeEmbedDim() {
        return 4 * blockOutChannels[0];
    }

    /** Real classes (the label table without its "no label" row); 0 for an unconditional model. */
    public int classes() {
        return numClassEmbeds == null ? 0 : numClassEmbeds - 1;
    }

    public static UNetConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode n = JsonFields.read(file);
        int size = JsonFields.intField(file, n, "sample_size", null);
        int in = JsonFields.intField(file, n, "in_channels", 1);
        int out = JsonFields.intField(file, n, "out_channels", in);
        JsonNode boc = n.get("block_out_channels");
        if (boc == null || !boc.isArray() || boc.isEmpty()) throw UserError.field(file, "block_out_channels", "expected a non-empty list of integers");
        int[] channels = new int[boc.size()];
        for (int i = 0; i < channels.length; i++) {
            if (!boc.get(i).isIntegralNumber() || boc.get(i).intValue() < 1) {
                throw UserError.field(file, "block_out_channels", "expected positive integers, got " + boc);
            }
            channels[i] = boc.get(i).intValue();
        }
        int layers = JsonFields.intField(file, n, "layers_per_block", 2);
        int groups = JsonFields.intField(file, n, "norm_num_groups", 32);
        double eps = JsonFields.doubleField(file, n, "norm_eps", 1e-5);
        JsonNode classNode = n.get("num_class_embeds");
        Integer classes = classNode == null || classNode.isNull() ? null : JsonFields.intField(file, n, "num_class_embeds", null);
        boolean[] attention = blockTypes(file, n, "down_block_types", channels.length, DOWN, ATTN_DOWN);
        boolean[] up = blockTypes(file, n, "up_block_types", channels.length, UP, ATTN_UP);
        boolean[] reversed = new boolean[up.length];
        for (int i = 0; i < up.length; i++) reversed[i] = up[up.length - 1 - i];
        if (!Arrays.equals(attention, reversed)) {
            throw UserError.field(file, "up_block_types", "must mirror down_block_types (attention at the same levels)");
        }
        boolean mid = JsonFields.boolField(file, n, "add_attention", true);
        int headDim = JsonFields.intField(file, n, "attention_head_dim", 8);
        UNetConfig c = new UNetConfig(size, in, out, channels, layers, groups, eps, classes, attention, mid, headDim);
        c.validate(file);
        return c;
    }

    private static boolean[] blockTypes(Path file, JsonNode n, String field, int levels, String plain, String attn) {
        JsonNode v = n.get(field);
        boolean[] a = new boolean[levels];
        if (v == null || v.isNull()) return a;
        if (!v.isArray() || v.size() != levels) {
            throw UserError.field(file, field, "expected " + levels + " block types (one per block_out_channels entry), got " + v);
        }
        for (int i = 0; i < levels; i++) {
            String s = v.get(i).asText();
            if (!s.equals(plain) && !s.equals(attn)) throw UserError.field(file, field, "'" + s + "' is not supported (" + plain + ", " + attn + ")");
            a[i] = s.equals(attn);
        }
        return a;
    }

    void validate(Path file) {
        if (sampleSize < 1) throw UserError.field(file, "sample_size", "must be >= 1, got " + sampleSize);
        if (sampleSize % (1 << (levels() - 1)) != 0) {
            throw UserError.field(file, "sample_size", sampleSize + " cannot be halved " + (levels() - 1) + " times");
        }
        if (inChannels < 1 || outChannels < 1) throw UserError.field(file, "in_channels", "channels must be >= 1");
        if (layersPerBlock < 1) throw UserError.field(file, "layers_per_block", "must be >= 1, got " + layersPerBlock);
        for (int c : blockOutChannels) {
            if (normNumGroups < 1 || c % normNumGroups != 0) {
                throw UserError.field(file, "norm_num_groups", normNumGroups + " does not divide block_out_channels " + Arrays.toString(blockOutChannels));
            }
        }
        if (numClassEmbeds != null && numClassEmbeds < 2) {
            throw UserError.field(file, "num_class_embeds", "must be >= 2 (the classes and a last 'no label' row), got " + numClassEmbeds);
        }
        if (attentionHeadDim < 1) throw UserError.field(file, "attention_head_dim", "must be >= 1");
        if (!(normEps > 0)) throw UserError.field(file, "norm_eps", "must be > 0");
    }

    public void write(Path dir) {
        ObjectNode n = JsonFields.JSON.createObjectNode();
        n.put("_class_name", "UNet2DModel");
        n.put("sample_size", sampleSize);
        n.put("in_channels", inChannels);
        n.put("out_channels", outChannels);
        ArrayNode boc = n.putArray("block_out_channels");
        for (int c : blockOutChannels) boc.add(c);
        n.put("layers_per_block", layersPerBlock);
        n.put("norm_num_groups", normNumGroups);
        n.put("norm_eps", normEps);
        if (numClassEmbeds == null) n.putNull("num_class_embeds");
        else n.put("num_class_embeds", numClassEmbeds);
        ArrayNode down = n.putArray("down_block_types"), up = n.putArray("up_block_types");
        for (int i = 0; i < levels(); i++) down.add(attention[i] ? ATTN_DOWN : DOWN);
        for (int i = levels() - 1; i >= 0; i--) up.add(attention[i] ? ATTN_UP : UP);
        n.put("add_attention", midAttention);
        n.put("attention_head_dim", attentionHeadDim);
        n.put("time_embedding_type", "positional");
        n.put("flip_sin_to_cos", true);
        n.put("freq_shift", 0);
        n.put("act_fn", "silu");
        JsonFields.write(dir.resolve(FILE), n);
    }
}

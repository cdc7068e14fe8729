package dev.raftj.model;

import dev.raftj.torch.Torch;
import dev.raftj.core.UserError;
import dev.raftj.kernels.Kernels;
import java.nio.file.Path;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A reward model in HF's sequence-classification format with num_labels = 1 (GPT2- or
 * LlamaForSequenceClassification): backbone + a scalar head {@code score.weight} [1, d], read at
 * each sequence's last non-pad token.
 */
public final class RewardModel implements AdaptableModel {
    private final Checkpoint checkpoint;
    private final Backbone backbone;
    private Tensor scoreWeight; // [1, d], as stored
    private float scoreBias;

    private RewardModel(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        ModelConfig c = checkpoint.config;
        Path weightsFile = checkpoint.dir.resolve(SafeTensors.SINGLE);
        if (!c.sequenceClassification) {
            throw UserError.field(c.file, "architectures",
                    "expected a *ForSequenceClassification reward model, got " + c.raw.path("architectures"));
        }
        if (c.numLabels != 1) throw UserError.field(c.file, "id2label", "a reward model has num_labels = 1, got " + c.numLabels);
        this.backbone = Backbone.create(c, checkpoint.weights, weightsFile);
        Tensor w = checkpoint.weights.get("score.weight");
        if (w == null) throw new UserError(weightsFile + ": tensor 'score.weight' missing");
        if (!w.is_floating_point() || w.dim() != 2 || w.size(0) != 1 || w.size(1) != c.hidden) {
            throw new UserError(weightsFile + ": tensor 'score.weight' has shape "
                    + java.util.Arrays.toString(Torch.shape(w)) + ", expected [1, " + c.hidden + "]");
        }
        this.scoreWeight = w;
        Tensor b = checkpoint.weights.get("score.bias");
        if (b != null && (!b.is_floating_point() || b.numel() != 1)) {
            throw new UserError(weightsFile + ": tensor 'score.bias' has shape " + java.util.Arrays.toString(Torch.shape(b))
                    + ", expected [1] floating point");
        }
        this.scoreBias = b == null ? 0f : (float) Torch.item(b);
    }

    public static RewardModel load(Path dir) {
        return load(dir, new Device("cpu"), ScalarType.Float);
    }

    public static RewardModel load(Path dir, Device device, ScalarType dtype) {
        Torch.ensureInit();
        return new RewardModel(Checkpoint.load(dir, device, dtype));
    }

    @Override
    public ModelConfig config() {
        return checkpoint.config;
    }

    /** The folder it was loaded from. */
    @Override
    public Path dir() {
        return checkpoint.dir;
    }

    @Override
    public Device device() {
        return scoreWeight.device();
    }

    @Override
    public ScalarType dtype() {
        return Torch.dtype(scoreWeight);
    }

    @Override
    public java.util.List<Projection> projections() {
        return backbone.projections();
    }

    /** Wraps the body's projections with {@code adapter} (a LoRA reward model); null detaches it. */
    @Override
    public void attach(ProjectionAdapter adapter) {
        backbone.setAdapter(adapter);
    }

    /**
     * Replaces the scalar head (an adapter's own {@code score}, PEFT's modules_to_save): weight
     * [1, d], bias a one-element tensor or null for none. The checkpoint's head is left as it was.
     */
    public void replaceHead(Tensor weight, Tensor bias) {
        if (weight.dim() != 2 || weight.size(0) != 1 || weight.size(1) != config().hidden) {
            throw new IllegalArgumentException("score head must be [1, " + config().hidden + "], got "
                    + java.util.Arrays.toString(Torch.shape(weight)));
        }
        this.scoreWeight = weight;
        this.scoreBias = bias == null ? 0f : (float) Torch.item(bias);
    }

    /**
     * Scores a padded batch [B, T] (either padding side). The score is read at the last token
     * that is not the pad token, as HF does; without a pad token id, at the last masked-in token.
     */
    public Tensor scores(Tensor ids, Tensor keyMask, Kernels kernels) {
        Tensor hidden = backbone.forward(ids, Positions.fromMask(keyMask), keyMask, null);
        // The [d] view is taken per call: one made at load time, before gradients were switched on,
        // would never pass gradients to score.weight when the reward model is trained.
        return kernels.rewardHead(hidden, lastTokenIndex(ids, keyMask), scoreWeight.view(config().hidden), scoreBias);
    }

    /** Index of the rightmost real token of each row: argmax over (index × is-real). */
    Tensor lastTokenIndex(Tensor ids, Tensor keyMask) {
        int pad = checkpoint.config.padTokenId;
        Tensor real = pad >= 0 ? ids.ne(new Scalar(pad)) : keyMask.to(ScalarType.Bool);
        Tensor index = torch.arange(new Scalar(0), new Scalar(ids.size(1)),
                Torch.options(ScalarType.Long, ids.device())).unsqueeze(0);
        return index.mul(real.to(ScalarType.Long)).argmax(new org.bytedeco.pytorch.LongOptional(1), false);
    }

    /** Head weights for training the reward model; body parameters first. */
    public java.util.List<Tensor> parameters() {
        java.util.List<Tensor> p = new java.util.ArrayList<>(backbone.parameters());
        p.add(checkpoint.weights.get("score.weight"));
        return p;
    }

    public void save(Path dir) {
        Checkpoint.save(dir, checkpoint.config, checkpoint.weights, checkpoint.storedDtypes, checkpoint.dir);
    }
}

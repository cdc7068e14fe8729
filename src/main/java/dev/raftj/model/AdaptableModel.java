package dev.raftj.model;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** A model whose block projections an adapter can wrap (causal LMs and reward models). */
public interface AdaptableModel {
    /** The block projections an adapter may wrap, in load order. */
    List<Projection> projections();

    /** Wraps the projections with {@code adapter}; null detaches it. */
    void attach(ProjectionAdapter adapter);

    ModelConfig config();

    /** The folder the model was loaded from. */
    Path dir();

    Device device();

    ScalarType dtype();
}

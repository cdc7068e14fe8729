package dev.raftj;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(OneTorchThread.class)}: one LibTorch thread for the test class, as
 * {@code raftj pretrain} uses (two threads on two busy cores made each training step ~40x slower),
 * and the previous count restored afterwards.
 */
public final class OneTorchThread implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(OneTorchThread.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Torch.ensureInit();
        context.getStore(NS).put("threads", torch.get_num_threads());
        Torch.init(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        torch.set_num_threads(context.getStore(NS).get("threads", Integer.class));
    }
}

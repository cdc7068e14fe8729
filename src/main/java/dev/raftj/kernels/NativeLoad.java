package dev.raftj.kernels;

import org.bytedeco.javacpp.Loader;

/** Loads a JavaCPP binding's libraries, keeping the failure instead of throwing it. */
final class NativeLoad {
    private NativeLoad() {}

    /** Null when {@code binding}'s native library and JNI glue loaded, else why not. */
    static Throwable of(Class<?> binding) {
        try {
            Loader.load(binding);
            return null;
        } catch (Throwable t) { // UnsatisfiedLinkError, missing JavaCPP platform jar, anything else
            return t;
        }
    }
}

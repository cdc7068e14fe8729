import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * GpuTestMain: runs raftj's GPU tests on a lent machine that has a Java runtime (carried) but no
 * Maven. Loads the libraries named in -Draftj.preload (colon-separated paths, in order) with
 * System.load first, which is how LibTorch comes from the machine's Python install when JavaCPP's
 * own loading is off (-Dorg.bytedeco.javacpp.loadLibraries=false); then, with "--probe-torch",
 * reports whether the PyTorch JNI works there (a CUDA tensor and a sum); then runs the JUnit
 * classes given as arguments and prints a summary. Exit status: 0 all passed, 1 failures,
 * 3 a preload failed. With "--run CLASS ARGS..." it calls CLASS.main(ARGS) instead of JUnit (the
 * raftj CLI with LibTorch from the machine's Python install).
 */
public final class GpuTestMain {

    public static void main(String[] args) throws Exception {
        String preload = System.getProperty("raftj.preload", "");
        for (String p : preload.split(":")) {
            if (p.isEmpty()) {
                continue;
            }
            try {
                System.load(p);
                System.out.println("preloaded " + p);
            } catch (Throwable t) {
                System.out.println("PRELOAD FAILED " + p + ": " + t);
                System.exit(3);
            }
        }
        int first = 0;
        if (args.length > 0 && args[0].equals("--probe-torch")) {
            first = 1;
            probeTorch();
        }
        if (args.length > first + 1 && args[first].equals("--run")) {
            String[] rest = java.util.Arrays.copyOfRange(args, first + 2, args.length);
            Class.forName(args[first + 1]).getMethod("main", String[].class).invoke(null, (Object) rest);
            return;
        }
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (int i = first; i < args.length; i++) {
            request.selectors(DiscoverySelectors.selectClass(args[i]));
        }
        LauncherDiscoveryRequest built = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(built, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.printTo(new PrintWriter(System.out));
        summary.printFailuresTo(new PrintWriter(System.out), 25);
        System.out.println(summary.getTestsSucceededCount() + " passed, " + summary.getTotalFailureCount() + " failed, "
                + (summary.getTestsSkippedCount() + summary.getTestsAbortedCount()) + " skipped");
        System.exit(summary.getTotalFailureCount() == 0 ? 0 : 1);
    }

    private static void probeTorch() {
        try {
            long t0 = System.nanoTime();
            boolean cuda = org.bytedeco.pytorch.global.torch.cuda_is_available();
            System.out.println("torch probe: cuda_is_available=" + cuda + " devices="
                    + org.bytedeco.pytorch.global.torch.cuda_device_count());
            org.bytedeco.pytorch.Tensor t = org.bytedeco.pytorch.global.torch.ones(1000, 1000);
            if (cuda) {
                t = t.to(new org.bytedeco.pytorch.Device("cuda:0"), org.bytedeco.pytorch.global.torch.ScalarType.Float);
            }
            System.out.println("torch probe: ones(1000,1000) on " + (cuda ? "cuda" : "cpu") + " sums to "
                    + t.sum().item_float() + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
            System.out.println("TORCH PROBE OK");
        } catch (Throwable t) {
            System.out.println("TORCH PROBE FAILED: " + t);
        }
    }
}

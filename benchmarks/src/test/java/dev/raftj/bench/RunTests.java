package dev.raftj.bench;

import java.io.PrintWriter;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Runs this package's JUnit tests without Maven (benchmarks/test.sh); exit status 1 when one fails or none ran. */
public final class RunTests {
    public static void main(String[] args) {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectPackage("dev.raftj.bench")).build(), listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 20);
        out.printf("benchmark tests: %d run, %d passed, %d failed%n", s.getTestsStartedCount(), s.getTestsSucceededCount(),
                s.getTotalFailureCount());
        System.exit(s.getTotalFailureCount() > 0 || s.getTestsStartedCount() == 0 ? 1 : 0);
    }
}

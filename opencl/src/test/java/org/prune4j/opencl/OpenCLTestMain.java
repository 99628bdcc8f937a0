package org.prune4j.opencl;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs this module's tests without Maven, for machines that have a GPU but no build tools (opencl/gpu-check.sh):
 * {@code java -cp 'lib/*' org.prune4j.opencl.OpenCLTestMain}. Prints one line per test (with skip reasons) and the
 * summary; exits 1 when a test failed.
 */
public final class OpenCLTestMain {
    private OpenCLTestMain() {}

    public static void main(String[] args) {
        System.out.println("OpenCL device under test: " + (Devices.available() ? Devices.select("opencl").describe() : "none (" + Devices.unavailableReason() + ")"));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectPackage("org.prune4j.opencl")).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIP " + id.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL)
                        System.out.println(result.getStatus() + " " + id.getDisplayName() + ": " + result.getThrowable().map(Throwable::toString).orElse(""));
                    return;
                }
                System.out.println((result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "PASS " : result.getStatus() + " ")
                        + id.getLegacyReportingName() + result.getThrowable().map(t -> ": " + t).orElse(""));
            }
        };
        launcher.execute(request, summary, lines);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 30);
        System.exit(s.getTotalFailureCount() > 0 ? 1 : 0);
    }
}

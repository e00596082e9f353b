package org.likra;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints on the console why a test did not run: a disabled test's reason, or the message of the assumption that
 * aborted it (e.g. "../shared/models/stories260K/stories260K.bin is absent"), so that a skip is visible in Maven's
 * output and not only in surefire's XML reports. Registered through
 * META-INF/services/org.junit.platform.launcher.TestExecutionListener.
 */
public final class SkipReasons implements TestExecutionListener {
    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        print(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            print(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    private static void print(TestIdentifier test, String reason) {
        String name = test.getSource().map(s -> s instanceof MethodSource m ? m.getClassName() + "."
                + m.getMethodName() : s instanceof ClassSource c ? c.getClassName() : s.toString())
                .orElse(test.getDisplayName());
        String why = reason == null ? "no reason given" : reason.replaceFirst("^Assumption failed: ", "")
                .replaceFirst("^skipped: ", "");
        System.out.println("skipped: " + name + ": " + why);
    }
}

package org.likra;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints on the console why tests did not run: a disabled test's reason, or the message of the assumption that
 * aborted it (e.g. "../shared/models/stories260K/stories260K.bin is absent"), so that a skip is visible in Maven's
 * output and not only in surefire's XML reports. One line per test class and reason, after the tests ran:
 * {@code skipped: <class> (<tests>): <reason>}. Registered through
 * META-INF/services/org.junit.platform.launcher.TestExecutionListener.
 */
public final class SkipReasons implements TestExecutionListener {
    /** Test names by "class: reason", in the order they were first skipped. */
    private final Map<String, List<String>> skipped = new LinkedHashMap<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        skipped.forEach((key, tests) -> {
            int colon = key.indexOf(": ");
            String names = tests.size() <= 3 ? String.join(", ", tests) : tests.size() + " tests";
            System.out.println("skipped: " + key.substring(0, colon) + " (" + names + "): "
                    + key.substring(colon + 2));
        });
        skipped.clear();
    }

    private synchronized void record(TestIdentifier test, String reason) {
        String className = test.getSource().map(s -> s instanceof MethodSource m ? m.getClassName()
                : s instanceof ClassSource c ? c.getClassName() : s.toString()).orElse(test.getDisplayName());
        String name = test.getSource().map(s -> s instanceof MethodSource m ? m.getMethodName() : "all")
                .orElse(test.getDisplayName());
        String why = reason == null ? "no reason given" : reason.replaceFirst("^Assumption failed: ", "")
                .replaceFirst("^skipped: ", "");
        skipped.computeIfAbsent(className + ": " + why, k -> new ArrayList<>()).add(name);
    }
}

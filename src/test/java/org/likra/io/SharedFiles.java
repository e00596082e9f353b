package org.likra.io;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real files in ../shared (system property likra.shared); tests that need them skip where absent. */
public final class SharedFiles {
    private SharedFiles() {
    }

    /** The shared file at {@code relative}, or the test is skipped with a message naming it. */
    public static Path require(String relative) {
        String root = System.getProperty("likra.shared", "../shared");
        Path p = Path.of(root).resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), "skipped: " + p + " is absent (the real data live in "
                + "../shared beside the project, or set -Dlikra.shared=DIR; docs/data.md says where to get them)");
        return p;
    }
}

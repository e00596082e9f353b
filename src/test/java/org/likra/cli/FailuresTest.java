package org.likra.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.likra.util.AtomicFiles;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures that no command line can cause on demand in a test (a full disk, a read-only file system, running out of
 * memory), thrown by a stand-in command: each prints one line that names the file and what to do, and exits 1.
 */
class FailuresTest {
    /** A command that throws what it is given. */
    @CommandLine.Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        private final Throwable failure;

        Fail(Throwable failure) {
            this.failure = failure;
        }

        @Override
        public Integer call() throws Exception {
            if (failure instanceof Exception e) {
                throw e;
            }
            throw (Error) failure;
        }
    }

    static Stream<Arguments> failures() {
        Path file = Path.of("runs", "x", "metrics.jsonl");
        return Stream.of(
                Arguments.of(AtomicFiles.namingFile(file, new IOException("No space left on device")),
                        file + ": No space left on device; free some disk space or write to another disk (--out)"),
                Arguments.of(new IOException("No space left on device"),
                        "I/O error: No space left on device; free some disk space"),
                Arguments.of(new FileSystemException(file.toString(), null, "Read-only file system"),
                        file + ": Read-only file system; write to a writable folder instead (--out)"),
                Arguments.of(new AccessDeniedException(file.toString()),
                        file + ": permission denied; check its permissions"),
                Arguments.of(new UncheckedIOException(new NoSuchFileException(file.toString())),
                        file + ": no such file or folder; check the path"),
                Arguments.of(new OutOfMemoryError("Java heap space"),
                        "out of memory (Java heap space; Java may use at most"),
                Arguments.of(new OutOfMemoryError("Java heap space"),
                        "lower --batch or --seq, or choose a smaller --model; or give Java more memory, e.g. "
                                + "LIKRA_HEAP=16g"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("failures")
    void printsOneLineAndExits1(Throwable failure, String expected) {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("fail", new Fail(failure));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("fail");
        assertEquals(1, code, err.toString());
        String[] lines = err.toString().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + err);
        assertTrue(lines[0].startsWith("likra: "), lines[0]);
        assertTrue(lines[0].contains(expected), "expected: " + expected + "\nprinted:  " + lines[0]);
    }

    @Test
    void aBugIsAnInternalErrorWithExitCode3() {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("fail", new Fail(new IllegalStateException("a bug")));
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(3, cl.execute("fail"));
        assertTrue(err.toString().startsWith("likra: internal error: java.lang.IllegalStateException: a bug (run with "
                + "--verbose"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace without --verbose");
    }
}

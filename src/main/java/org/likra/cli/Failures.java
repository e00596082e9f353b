package org.likra.cli;

import org.likra.util.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one line (after {@code likra: }) and the exit code that the CLI reports for a failed command: a
 * {@link UserError}'s message; an I/O error as the file it concerns and what to do; running out of memory as what
 * to lower or how to give Java more; anything else as an internal error.
 */
final class Failures {
    /** Exit code of bad input and of failures the user can remedy (a full disk, too little memory). */
    static final int USER = 1;
    /** Exit code of an internal error (a bug). */
    static final int INTERNAL = 3;

    /** What to print and how to exit; {@code internal} reports get a hint about --verbose. */
    record Report(String line, int exitCode, boolean internal) {
    }

    private Failures() {
    }

    static Report of(Throwable ex) {
        if (ex instanceof UserError) {
            return new Report(ex.getMessage(), USER, false);
        }
        if (ex instanceof OutOfMemoryError) {
            return new Report(outOfMemory(ex), USER, false);
        }
        IOException io = ioCause(ex);
        if (io != null) {
            return new Report(io(io), USER, false);
        }
        return new Report("internal error: " + ex, INTERNAL, true);
    }

    /** The I/O exception behind {@code ex} (itself, or the cause of an UncheckedIOException), or null. */
    private static IOException ioCause(Throwable ex) {
        if (ex instanceof IOException io) {
            return io;
        }
        if (ex instanceof UncheckedIOException u) {
            return u.getCause();
        }
        return null;
    }

    private static String outOfMemory(Throwable oom) {
        long maxMiB = Runtime.getRuntime().maxMemory() >> 20;
        return String.format(Locale.ROOT, "out of memory (%s; Java may use at most %,d MiB): lower --batch or "
                + "--seq, or choose a smaller --model; or give Java more memory, e.g. LIKRA_HEAP=16g scripts/likra ...",
                oom.getMessage() == null ? "OutOfMemoryError" : oom.getMessage(), maxMiB);
    }

    private static String io(IOException e) {
        if (e instanceof FileSystemException fs && fs.getFile() != null) {
            String file = fs.getFile();
            if (e instanceof NoSuchFileException) {
                return file + ": no such file or folder; check the path";
            }
            if (e instanceof AccessDeniedException) {
                return file + ": permission denied; check its permissions or write somewhere else (--out)";
            }
            if (e instanceof FileAlreadyExistsException) {
                return Files.isDirectory(Path.of(file)) ? file + " already exists; remove it or choose another --out"
                        : file + " is a file, not a folder; choose another --out (or move the file away)";
            }
            if (e instanceof NotDirectoryException) {
                return file + " is not a folder; choose another --out";
            }
            if (e instanceof DirectoryNotEmptyException) {
                return file + " is a folder that is not empty; remove it or choose another --out";
            }
            String reason = fs.getReason() == null ? e.getClass().getSimpleName() : fs.getReason();
            return file + ": " + reason + "; " + advice(reason);
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return "I/O error: " + reason + "; " + advice(reason);
    }

    /** What to do about an operating system's I/O error message. */
    private static String advice(String reason) {
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("no space left") || r.contains("quota")) {
            return "free some disk space or write to another disk (--out), then run the command again";
        }
        if (r.contains("read-only file system")) {
            return "write to a writable folder instead (--out)";
        }
        if (r.contains("not a directory")) {
            return "a part of this path is a file, not a folder; choose another --out";
        }
        if (r.contains("permission denied")) {
            return "check the permissions or write somewhere else (--out)";
        }
        if (r.contains("too many open files")) {
            return "raise the open-file limit (ulimit -n)";
        }
        return "check the path and the disk";
    }
}

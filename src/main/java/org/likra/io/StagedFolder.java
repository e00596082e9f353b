package org.likra.io;

import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * An output folder written as one: its files go into a temporary sibling folder, {@code .<name>.tmp-<random>},
 * which {@link #commit} renames to the target. A reader sees the old folder, or none for the instant between two
 * renames, or the new one whole, never a mix; a run killed before the commit leaves the target as it was (and the
 * temporary folder, which can be deleted). An existing non-empty target is refused unless {@code overwrite}.
 */
public final class StagedFolder implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private boolean committed;

    private StagedFolder(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /**
     * Starts writing {@code target}: a UserError when it is a file, or a folder with something in it and not
     * {@code overwrite}. {@code option} names the command-line option that gave it, for the message.
     */
    public static StagedFolder create(Path target, boolean overwrite, String option) throws IOException {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new UserError(target + " is a file, not a folder; choose another " + option);
        }
        if (!overwrite && !isEmptyOrAbsent(target)) {
            throw new UserError(target + " already holds files; pass --overwrite to replace them or choose another "
                    + option);
        }
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        Path staging = parent.resolve("." + absolute.getFileName() + ".tmp-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        Files.createDirectory(staging);
        return new StagedFolder(target, staging);
    }

    /** The temporary folder to write into. */
    public Path path() {
        return staging;
    }

    /** Puts the written folder in the target's place (the old target, if any, is deleted). */
    public void commit() throws IOException {
        Path replaced = null;
        if (Files.exists(target)) {
            replaced = staging.resolveSibling(staging.getFileName() + ".replaced");
            Files.move(target, replaced);
        }
        Files.move(staging, target);
        committed = true;
        if (replaced != null) {
            deleteTree(replaced);
        }
    }

    /** Deletes the temporary folder unless it was committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            deleteTree(staging);
        }
    }

    private static boolean isEmptyOrAbsent(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

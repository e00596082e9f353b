package org.likra.io;

import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A group of entries of an output folder (say {@code positive/} and {@code negative/}) replaced as one: the new
 * entries are written into a temporary sibling folder, {@code .<name>.tmp-<random>}, which starts as a copy of the
 * target's other entries; {@link #commit} renames it to the target. A reader sees the old folder, or none for the
 * instant between two renames, or the new one whole, never a new entry of the group beside an old one; a run
 * killed before the commit leaves the target as it was (and the temporary folder, which can be deleted). Replacing
 * an entry of the group that exists needs {@code overwrite}.
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
     * Starts replacing the entries {@code group} of {@code target}: a UserError when the target is a file, or holds
     * one of them and not {@code overwrite}. {@code option} names the command-line option that gave the target.
     */
    public static StagedFolder create(Path target, Set<String> group, boolean overwrite, String option)
            throws IOException {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new UserError(target + " is a file, not a folder; choose another " + option);
        }
        List<Path> existing = entries(target);
        List<String> clashes = existing.stream().map(p -> p.getFileName().toString()).filter(group::contains)
                .sorted().toList();
        if (!overwrite && !clashes.isEmpty()) {
            throw new UserError(target + " already holds " + String.join("/, ", clashes) + "/ from another run; pass "
                    + "--overwrite to replace " + String.join("/, ", group.stream().sorted().toList()) + "/ or "
                    + "choose another " + option);
        }
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        Path staging = parent.resolve("." + absolute.getFileName() + ".tmp-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        Files.createDirectory(staging);
        StagedFolder folder = new StagedFolder(target, staging);
        try {
            for (Path entry : existing) {
                if (!group.contains(entry.getFileName().toString())) {
                    copyTree(entry, staging.resolve(entry.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            folder.close();
            throw e;
        }
        return folder;
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

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
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

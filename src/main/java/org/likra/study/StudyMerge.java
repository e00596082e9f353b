package org.likra.study;

import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Combines the folders of a study's shards: they must hold the same plan; every finished cell (the small files
 * under {@code cells/}) is copied into the merged folder, where the report is then computed. Base-model checkpoints
 * stay where they were trained.
 */
public final class StudyMerge {
    private StudyMerge() {
    }

    public static void merge(List<Path> dirs, Path out, PrintStream log) throws IOException {
        String plan = null;
        for (Path d : dirs) {
            Path p = new StudyLayout(d).plan();
            if (!Files.isRegularFile(p)) {
                throw new UserError(d + " is not a study folder (no plan.json); give the --out folders of the shards");
            }
            String text = Files.readString(p, StandardCharsets.UTF_8);
            if (plan == null) {
                plan = text;
            } else if (!plan.equals(text)) {
                throw new UserError(d + " holds another plan than " + dirs.get(0) + "; only shards of one study merge");
            }
        }
        StudyLayout target = new StudyLayout(out);
        if (Files.exists(target.plan()) && !Files.readString(target.plan(), StandardCharsets.UTF_8).equals(plan)) {
            throw new UserError(out + " holds another study's plan; merge into an empty or the same study's folder");
        }
        AtomicFiles.writeString(target.plan(), plan);
        int copied = 0;
        for (Path d : dirs) {
            Path cells = new StudyLayout(d).cells();
            if (!Files.isDirectory(cells) || d.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                continue;
            }
            try (Stream<Path> files = Files.walk(cells)) {
                for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString()
                        .startsWith(".")).toList()) {
                    Path to = target.cells().resolve(cells.relativize(f).toString());
                    if (!Files.exists(to)) {
                        Files.createDirectories(to.getParent());
                        AtomicFiles.write(to, o -> Files.copy(f, o));
                        copied++;
                    }
                }
            }
        }
        log.printf("merged %d shard folders into %s (%d cell files copied)%n", dirs.size(), out, copied);
    }
}

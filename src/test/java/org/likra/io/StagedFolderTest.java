package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StagedFolderTest {
    private static final Set<String> PAIR = Set.of("positive", "negative");

    @TempDir
    Path dir;

    private static void writeHeads(Path into, String training, boolean failAfterThePositive) throws IOException {
        Files.createDirectories(into.resolve("positive"));
        Files.writeString(into.resolve("positive/adapter.txt"), training);
        if (failAfterThePositive) {
            throw new IOException("killed between the two heads");
        }
        Files.createDirectories(into.resolve("negative"));
        Files.writeString(into.resolve("negative/adapter.txt"), training);
    }

    private static void write(Path target, Set<String> group, boolean overwrite, String training) throws IOException {
        try (StagedFolder staged = StagedFolder.create(target, group, overwrite, "--out")) {
            writeHeads(staged.path(), training, false);
            staged.commit();
        }
    }

    @Test
    void aFailureBetweenTheHeadsLeavesTheOldPairWhole() throws Exception {
        Path heads = dir.resolve("heads");
        write(heads, PAIR, false, "first");
        assertThrows(IOException.class, () -> {
            try (StagedFolder staged = StagedFolder.create(heads, PAIR, true, "--out")) {
                writeHeads(staged.path(), "second", true);
                staged.commit();
            }
        });
        assertEquals("first", Files.readString(heads.resolve("positive/adapter.txt")));
        assertEquals("first", Files.readString(heads.resolve("negative/adapter.txt")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(heads), s.toList(), "the temporary folder is gone");
        }
        write(heads, PAIR, true, "third");
        assertEquals("third", Files.readString(heads.resolve("positive/adapter.txt")));
        assertEquals("third", Files.readString(heads.resolve("negative/adapter.txt")));
    }

    @Test
    void replacingAHeadOfThePairNeedsOverwriteAndOtherEntriesAreKept() throws Exception {
        Path heads = dir.resolve("heads");
        Files.createDirectories(heads.resolve("dpo"));
        Files.writeString(heads.resolve("dpo/adapter.txt"), "dpo");
        write(heads, PAIR, false, "first");
        UserError e = assertThrows(UserError.class, () -> StagedFolder.create(heads, PAIR, false, "--out"));
        assertTrue(e.getMessage().contains("already holds negative/, positive/ from another run; pass --overwrite"),
                e.getMessage());
        // Training only the positive head with --overwrite drops the old negative one: never a mixed pair.
        try (StagedFolder staged = StagedFolder.create(heads, PAIR, true, "--out")) {
            Files.createDirectories(staged.path().resolve("positive"));
            Files.writeString(staged.path().resolve("positive/adapter.txt"), "second");
            staged.commit();
        }
        assertEquals("second", Files.readString(heads.resolve("positive/adapter.txt")));
        assertFalse(Files.exists(heads.resolve("negative")));
        assertEquals("dpo", Files.readString(heads.resolve("dpo/adapter.txt")));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(assertThrows(UserError.class, () -> StagedFolder.create(file, PAIR, true, "--out")).getMessage()
                .contains("is a file, not a folder"));
    }
}

package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StagedFolderTest {
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

    @Test
    void aFailureBetweenTheHeadsLeavesTheOldPairWhole() throws Exception {
        Path heads = dir.resolve("heads");
        try (StagedFolder staged = StagedFolder.create(heads, false, "--out")) {
            writeHeads(staged.path(), "first", false);
            staged.commit();
        }
        assertThrows(IOException.class, () -> {
            try (StagedFolder staged = StagedFolder.create(heads, true, "--out")) {
                writeHeads(staged.path(), "second", true);
                staged.commit();
            }
        });
        assertEquals("first", Files.readString(heads.resolve("positive/adapter.txt")));
        assertEquals("first", Files.readString(heads.resolve("negative/adapter.txt")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(heads), s.toList(), "the temporary folder is gone");
        }
        try (StagedFolder staged = StagedFolder.create(heads, true, "--out")) {
            writeHeads(staged.path(), "third", false);
            staged.commit();
        }
        assertEquals("third", Files.readString(heads.resolve("positive/adapter.txt")));
        assertEquals("third", Files.readString(heads.resolve("negative/adapter.txt")));
    }

    @Test
    void aNonEmptyFolderNeedsOverwriteAnEmptyOneDoesNot() throws Exception {
        Path heads = dir.resolve("heads");
        Files.createDirectories(heads.resolve("positive"));
        UserError e = assertThrows(UserError.class, () -> StagedFolder.create(heads, false, "--out"));
        assertTrue(e.getMessage().contains("already holds files; pass --overwrite"), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        try (StagedFolder staged = StagedFolder.create(empty, false, "--out")) {
            writeHeads(staged.path(), "x", false);
            staged.commit();
        }
        assertTrue(Files.isRegularFile(empty.resolve("negative/adapter.txt")));
    }
}

package org.likra.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.io.SafeTensors;
import org.likra.train.MetricsLog;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {
    @TempDir
    Path dir;

    /** The permissions a new file gets here (0666 less the umask). */
    private Set<PosixFilePermission> plainFilePermissions() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        return Files.getPosixFilePermissions(plain);
    }

    @Test
    void writtenFilesHaveTheDefaultPermissionsOfANewFileNot0600() throws Exception {
        Set<PosixFilePermission> expected = plainFilePermissions();
        Path text = dir.resolve("a.txt");
        AtomicFiles.writeString(text, "hello\n");
        assertEquals(expected, Files.getPosixFilePermissions(text));
        Path tensors = dir.resolve("w.safetensors");
        SafeTensors.write(tensors, List.of(new SafeTensors.Output("x", new int[] {2}, new float[] {1, 2}, 0)), null);
        assertEquals(expected, Files.getPosixFilePermissions(tensors));
        Path metrics = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(metrics, -1)) {
            log.write(MetricsLog.record(1));
        }
        assertEquals(expected, Files.getPosixFilePermissions(metrics));
    }

    @Test
    void aFailedWriteNamesTheFileKeepsTheOldContentAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("state.json");
        AtomicFiles.writeString(target, "old\n");
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFiles.write(target, out -> {
            out.write("new".getBytes());
            throw new IOException("No space left on device");
        }));
        assertEquals(target.toString(), e.getFile());
        assertEquals("No space left on device", e.getReason());
        assertEquals("old\n", Files.readString(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }
}

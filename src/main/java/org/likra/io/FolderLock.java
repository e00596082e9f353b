package org.likra.io;

import org.likra.util.UserError;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a folder, held while one command writes into it: an operating-system lock
 * ({@link FileChannel#tryLock}) on the file {@code .lock} in the folder. The system releases it when the process
 * ends, however it ends, so a killed run never leaves a stale lock; the empty file stays.
 */
public final class FolderLock implements AutoCloseable {
    /** The lock file's name inside the folder. */
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code folder} if needed and locks it; a UserError when another process (or another run in this
     * process) holds the lock. {@code what} names the kind of run in the message ("pretraining run").
     */
    public static FolderLock acquire(Path folder, String what) throws IOException {
        Files.createDirectories(folder);
        Path file = folder.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new UserError(folder + " is in use by another " + what + " (it holds " + file + "); wait for "
                        + "it to end or choose another --out");
            }
            return new FolderLock(channel, lock);
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new UserError(folder + " is in use by another " + what + " in this process; wait for it to end or "
                    + "choose another --out");
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}

package brmr.it;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A size-limited tmpfs mounted for one test (root only): a disk file on it whose sparse size exceeds
 * the limit runs out of space part-way, and the loop device over it fails the writes past that point
 * until the tmpfs is remounted larger.
 */
final class TmpfsMount implements AutoCloseable {
    private final Path mountPoint;
    private final FileStore store;

    private TmpfsMount(Path mountPoint) throws IOException {
        this.mountPoint = mountPoint;
        this.store = Files.getFileStore(mountPoint);
    }

    static TmpfsMount mount(Path mountPoint, long bytes) throws IOException {
        Files.createDirectories(mountPoint);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + kib(bytes) + ",mode=0700", "tmpfs", mountPoint.toString()));
        return new TmpfsMount(mountPoint);
    }

    private static String kib(long bytes) {
        return (bytes + 1023) / 1024 + "k";
    }

    private static void run(List<String> command) throws IOException {
        CommandResult result = Commands.run(command);
        if (result.exit() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + result);
        }
    }

    Path path() {
        return mountPoint;
    }

    /** Changes the limit in place; files and loop devices on it stay as they are. */
    void resize(long bytes) throws IOException {
        run(List.of("mount", "-o", "remount,size=" + kib(bytes), mountPoint.toString()));
    }

    long usedBytes() throws IOException {
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    long freeBytes() throws IOException {
        return store.getUnallocatedSpace();
    }

    /** Unmounts; loop devices over its files must be detached first. */
    @Override
    public void close() throws IOException {
        run(List.of("umount", mountPoint.toString()));
    }

    @Override
    public String toString() {
        return "tmpfs on " + mountPoint;
    }
}

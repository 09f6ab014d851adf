package brmr.admin.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A small file replaced whole so that a crash at any moment leaves the old or the new content, never a
 * mix: the new bytes go to a temporary file beside it, which is fsynced, renamed over the file, and then
 * the directory is fsynced so that the rename itself survives a power loss.
 */
public final class DurableFile {
    /** The points between the steps of a replace; a test stops there as a kill would. */
    enum Step {
        TEMP_WRITTEN, TEMP_SYNCED, RENAMED
    }

    /** Called at each step; throwing stops the replace there. */
    @FunctionalInterface
    interface Steps {
        void reached(Step step) throws IOException;
    }

    private final Path file;
    private final Path temp;
    private final Steps steps;

    public DurableFile(Path file) {
        this(file, step -> { });
    }

    DurableFile(Path file, Steps steps) {
        this.file = file.toAbsolutePath();
        this.temp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
        this.steps = steps;
    }

    public Path path() {
        return file;
    }

    /** Replaces the file's content with {@code bytes}, durably, as the class comment says. */
    public void replace(byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            steps.reached(Step.TEMP_WRITTEN);
            channel.force(true);
        }
        steps.reached(Step.TEMP_SYNCED);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        steps.reached(Step.RENAMED);
        // on Linux a directory opened for reading can be fsynced, which makes the rename durable
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }
}

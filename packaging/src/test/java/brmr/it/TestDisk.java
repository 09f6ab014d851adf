package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A disk for a test: a loop device over a sparse file when running as root with losetup, a plain
 * file otherwise (the reason is printed once).
 */
final class TestDisk implements AutoCloseable {
    private static final String LOOP_UNAVAILABLE = loopUnavailableReason();

    private final Path backing;
    private final String loop;

    private TestDisk(Path backing, String loop) {
        this.backing = backing;
        this.loop = loop;
    }

    /** A zeroed disk of {@code bytes}; {@code readOnly} attaches the loop device read-only (root only). */
    static TestDisk create(Path dir, String name, long bytes, boolean readOnly) throws IOException {
        Path file = dir.resolve(name + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        if (LOOP_UNAVAILABLE != null) {
            if (readOnly) {
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
            }
            return new TestDisk(file, null);
        }
        List<String> command = Commands.of("losetup", "--find", "--show");
        if (readOnly) {
            command.add("--read-only");
        }
        command.add(file.toString());
        CommandResult attached = Commands.run(command);
        if (attached.exit() != 0) {
            throw new IOException("losetup failed: " + attached);
        }
        return new TestDisk(file, attached.out().strip());
    }

    static TestDisk create(Path dir, String name, long bytes) throws IOException {
        return create(dir, name, bytes, false);
    }

    static boolean usesLoopDevices() {
        return LOOP_UNAVAILABLE == null;
    }

    /** Skips the test, saying why, unless disks are loop devices (root with a working losetup). */
    static void requireLoopDevices() {
        if (LOOP_UNAVAILABLE != null) {
            System.out.println("[brmr tests] skipping: needs loop devices, but " + LOOP_UNAVAILABLE);
        }
        assumeTrue(LOOP_UNAVAILABLE == null, () -> "needs loop devices: " + LOOP_UNAVAILABLE);
    }

    /** Whether a read-only disk is really refused for writing: loop devices always, files only for non-root. */
    static boolean readOnlyIsEnforced() {
        return usesLoopDevices() || !"root".equals(System.getProperty("user.name"));
    }

    private static String loopUnavailableReason() {
        String reason;
        if (!"root".equals(System.getProperty("user.name"))) {
            reason = "not running as root";
        } else if (!Commands.onPath("losetup")) {
            reason = "losetup is not installed";
        } else {
            CommandResult probe = Commands.run(List.of("losetup", "--find"));
            reason = probe.exit() == 0 ? null : "losetup --find failed: " + probe.err().strip();
        }
        if (reason != null) {
            System.out.println("[brmr tests] using plain files instead of loop devices: " + reason);
        }
        return reason;
    }

    /** The path given to brmr: the loop device, or the file itself. */
    Path path() {
        return loop != null ? Path.of(loop) : backing;
    }

    Path backingFile() {
        return backing;
    }

    /** SHA-256 of every byte of the disk, to prove a refused command wrote nothing. */
    String digest() throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(backing)) {
                byte[] buffer = new byte[1 << 20];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    sha.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (loop != null) {
            CommandResult detached = Commands.run(List.of("losetup", "--detach", loop));
            assertEquals(0, detached.exit(), () -> "losetup --detach " + loop + ": " + detached);
        }
    }

    @Override
    public String toString() {
        return path().toString();
    }
}

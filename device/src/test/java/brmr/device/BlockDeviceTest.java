package brmr.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

class BlockDeviceTest {
    @TempDir
    Path dir;

    private Path file(long size) throws IOException {
        Path file = dir.resolve("disk.img");
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    @Test
    void regularFileReportsItsLengthAnd512ByteSectors() throws Exception {
        Path file = file(3 * 1024 * 1024);
        try (BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.AUTO)) {
            assertEquals(3 * 1024 * 1024, disk.size());
            assertEquals(512, disk.sectorSize());
            assertFalse(disk.isBlockDevice());
            assertFalse(disk.directIo());
        }
    }

    @Test
    void writtenBytesReadBackAndReachTheFile() throws Exception {
        Path file = file(1 << 20);
        byte[] pattern = new byte[8192];
        new Random(7).nextBytes(pattern);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.ON)) {
            assertTrue(disk.directIo());
            MemorySegment out = Disk.allocate(arena, pattern.length);
            MemorySegment.copy(pattern, 0, out, ValueLayout.JAVA_BYTE, 0, pattern.length);
            disk.write(65536, out);
            disk.flush();
            MemorySegment in = Disk.allocate(arena, pattern.length);
            disk.read(65536, in);
            assertArrayEquals(pattern, in.toArray(ValueLayout.JAVA_BYTE));
        }
        byte[] onDisk = Files.readAllBytes(file);
        assertArrayEquals(pattern, java.util.Arrays.copyOfRange(onDisk, 65536, 65536 + pattern.length));
    }

    @Test
    void secondExclusiveOpenIsRefusedAsInUse() throws Exception {
        Path file = file(1 << 20);
        try (BlockDevice first = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class,
                    () -> BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF));
            assertEquals("flock " + file + ": already in use by another brmr store", e.getMessage());
            try (BlockDevice reader = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
                assertEquals(first.size(), reader.size());
            }
        }
    }

    @Test
    void missingPathDirectoryAndCharacterDeviceAreRefusedByKind() {
        DeviceException missing = assertThrows(DeviceException.class,
                () -> BlockDevice.open(dir.resolve("nope"), BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF));
        assertEquals("does not exist", missing.reason());
        DeviceException directory = assertThrows(DeviceException.class,
                () -> BlockDevice.open(dir, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF));
        assertEquals("is a directory, not a block device or regular file", directory.reason());
        DeviceException charDevice = assertThrows(DeviceException.class,
                () -> BlockDevice.open(Path.of("/dev/null"), BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF));
        assertEquals("is not a block device or regular file", charDevice.reason());
    }

    @Test
    void readPastTheEndIsRefusedNamingTheRange() throws Exception {
        Path file = file(4096);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.read(2048, arena.allocate(4096)));
            assertEquals("pread " + file + ": range 2048+4096 lies outside the device of 4096 bytes", e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(value = BlockDevice.DirectIo.class, names = {"ON", "OFF"})
    void aDurableWriteReadsBackAndReachesTheFile(BlockDevice.DirectIo directIo) throws Exception {
        Path file = file(1 << 20);
        byte[] pattern = new byte[12288];
        new Random(11).nextBytes(pattern);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, directIo)) {
            MemorySegment out = Disk.allocate(arena, pattern.length);
            MemorySegment.copy(pattern, 0, out, ValueLayout.JAVA_BYTE, 0, pattern.length);
            disk.writeDurably(8192, out);
            MemorySegment in = Disk.allocate(arena, pattern.length);
            disk.read(8192, in);
            assertArrayEquals(pattern, in.toArray(ValueLayout.JAVA_BYTE));
        }
        byte[] onDisk = Files.readAllBytes(file);
        assertArrayEquals(pattern, java.util.Arrays.copyOfRange(onDisk, 8192, 8192 + pattern.length));
    }

    @Test
    void aDurableWriteToAReadOnlyOpenNamesTheCallAndTheRange() throws Exception {
        Path file = file(4096);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.writeDurably(512, arena.allocate(512)));
            assertEquals("pwritev2 " + file + " offset 512 length 512: EBADF (Bad file descriptor)", e.describe());
        }
    }

    @Test
    void writeToReadOnlyOpenNamesCallPathAndErrno() throws Exception {
        Path file = file(4096);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.write(0, arena.allocate(512)));
            assertEquals("pwrite", e.call());
            assertEquals(9, e.errno());
            assertEquals("pwrite " + file + ": Bad file descriptor", e.getMessage());
            assertEquals("pwrite " + file + " offset 0 length 512: EBADF (Bad file descriptor)", e.describe(),
                    "an operator reads device, range and errno in one line");
        }
    }

    @Test
    void directIoRefusesUnalignedOffsets() throws Exception {
        Path file = file(1 << 20);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.ON)) {
            assertThrows(DeviceException.class, () -> disk.read(100, Disk.allocate(arena, 512)));
        }
    }

    @Test
    void closedDeviceRefusesIo() throws Exception {
        Path file = file(4096);
        BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF);
        disk.close();
        disk.close();
        try (Arena arena = Arena.ofConfined()) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.read(0, arena.allocate(512)));
            assertEquals("device is closed", e.reason());
        }
    }

    @Test
    void discardOfAFileReadsBackZeroesAndFreesItsBlocks() throws Exception {
        Path file = file(4 << 20);
        byte[] pattern = fill(file, 4 << 20);
        long before = allocatedBlocks(file);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            assertTrue(disk.discard(1 << 20, 2 << 20), "ext4, xfs and tmpfs punch holes");
            disk.flush();
            MemorySegment in = Disk.allocate(arena, 4 << 20);
            disk.read(0, in);
            assertDiscarded(pattern, in.toArray(ValueLayout.JAVA_BYTE), 1 << 20, 2 << 20);
        }
        long after = allocatedBlocks(file);
        assertTrue(before - after >= (2 << 20) / 512, "512-byte blocks before " + before + ", after " + after);
        assertEquals(4 << 20, Files.size(file), "the file keeps its size");
    }

    @Test
    void discardOutsideTheDeviceOrOnAReadOnlyOpenNamesTheCallAndTheRange() throws Exception {
        Path file = file(1 << 20);
        try (BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.discard(512 << 10, 1 << 20));
            assertEquals("fallocate(PUNCH_HOLE) " + file + " offset 524288 length 1048576: EINVAL (range 524288+1048576 "
                    + "lies outside the device of 1048576 bytes)", e.describe());
        }
        try (BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            DeviceException e = assertThrows(DeviceException.class, () -> disk.discard(0, 4096));
            assertEquals("fallocate(PUNCH_HOLE) " + file + " offset 0 length 4096: EBADF (Bad file descriptor)",
                    e.describe());
        }
    }

    /** A loop device over a file: the discard reaches the backing file as a hole. Needs root and losetup. */
    @Test
    void discardOfABlockDeviceReadsBackZeroes() throws Exception {
        String skip = loopDeviceUnavailable();
        Assumptions.assumeTrue(skip == null, () -> {
            System.out.println("BlockDeviceTest: loop device discard skipped: " + skip);
            return skip;
        });
        Path backing = file(4 << 20);
        byte[] pattern = fill(backing, 4 << 20);
        Path loop = Path.of(run("losetup", "--find", "--show", backing.toString()).strip());
        try {
            try (Arena arena = Arena.ofConfined();
                    BlockDevice disk = BlockDevice.open(loop, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.AUTO)) {
                assertTrue(disk.isBlockDevice());
                assertThrows(DeviceException.class, () -> disk.discard(100, 4096), "unaligned ranges are refused");
                assertTrue(disk.discard(1 << 20, 2 << 20), "a loop device unmaps into its file");
                disk.flush();
                MemorySegment in = Disk.allocate(arena, 4 << 20);
                disk.read(0, in);
                assertDiscarded(pattern, in.toArray(ValueLayout.JAVA_BYTE), 1 << 20, 2 << 20);
            }
        } finally {
            run("losetup", "--detach", loop.toString());
        }
        assertDiscarded(pattern, Files.readAllBytes(backing), 1 << 20, 2 << 20);
    }

    /** Writes random bytes over the whole file (so that every block is allocated) and returns them. */
    private static byte[] fill(Path file, int size) throws IOException {
        byte[] pattern = new byte[size];
        new Random(11).nextBytes(pattern);
        Files.write(file, pattern);
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        return pattern;
    }

    private static void assertDiscarded(byte[] before, byte[] after, int offset, int length) {
        assertArrayEquals(java.util.Arrays.copyOfRange(before, 0, offset), java.util.Arrays.copyOfRange(after, 0, offset));
        assertArrayEquals(new byte[length], java.util.Arrays.copyOfRange(after, offset, offset + length));
        assertArrayEquals(java.util.Arrays.copyOfRange(before, offset + length, before.length),
                java.util.Arrays.copyOfRange(after, offset + length, before.length));
    }

    /** The file's allocated 512-byte blocks, as stat(1) reports them (the JDK does not expose st_blocks). */
    private static long allocatedBlocks(Path file) throws IOException, InterruptedException {
        return Long.parseLong(run("stat", "--format=%b", file.toString()).strip());
    }

    static String loopDeviceUnavailable() throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not running as root";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/losetup")) && !Files.isExecutable(Path.of("/sbin/losetup"))) {
            return "losetup is not installed";
        }
        return null;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + exit + ": " + output.strip());
        }
        return output;
    }
}

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
}

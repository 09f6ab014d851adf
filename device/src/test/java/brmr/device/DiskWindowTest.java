package brmr.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A mapped window of a file or loop device: stores reach the disk through msync, and IO never overlaps it. */
class DiskWindowTest {
    private static final long AT = 8192;
    private static final int LENGTH = 12288;

    @TempDir
    Path dir;

    private Path file(long size) throws IOException {
        Path file = dir.resolve("disk.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    private static byte[] pattern() {
        byte[] pattern = new byte[LENGTH];
        new Random(3).nextBytes(pattern);
        return pattern;
    }

    @ParameterizedTest
    @EnumSource(value = BlockDevice.DirectIo.class, names = {"ON", "OFF"})
    void storesSyncedThroughTheWindowReadBackAfterItClosesAndReachTheFile(BlockDevice.DirectIo directIo)
            throws Exception {
        Path file = file(1 << 20);
        byte[] pattern = pattern();
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, directIo)) {
            assertEquals(0, AT % disk.mapAlignment());
            storeAndRead(arena, disk, pattern);
        }
        assertArrayEquals(pattern, Arrays.copyOfRange(Files.readAllBytes(file), (int) AT, (int) AT + LENGTH));
    }

    /** Maps a window at {@link #AT}, stores {@code pattern} and syncs it, closes the window, and reads the range with pread. */
    private static void storeAndRead(Arena arena, BlockDevice disk, byte[] pattern) throws DeviceException {
        try (DiskWindow window = disk.mapWindow(AT, LENGTH)) {
            assertEquals(AT, window.offset());
            assertEquals(LENGTH, window.segment().byteSize());
            MemorySegment.copy(pattern, 0, window.segment(), ValueLayout.JAVA_BYTE, 0, LENGTH);
            window.sync(0, 1);
            window.sync(4095, LENGTH - 4095);
        }
        MemorySegment in = Disk.allocate(arena, LENGTH);
        disk.read(AT, in);
        assertArrayEquals(pattern, in.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void ioOverlappingAnOpenWindowIsRefusedAndWorksAgainOnceItCloses() throws Exception {
        Path file = file(1 << 20);
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.ON)) {
            MemorySegment block = Disk.allocate(arena, 4096);
            DiskWindow window = disk.mapWindow(AT, LENGTH);
            String overlap = " overlaps the window mapped at 8192..20480";
            assertEquals("pread " + file + ": range 16384+4096" + overlap,
                    assertThrows(DeviceException.class, () -> disk.read(16384, block)).getMessage());
            assertEquals("pwrite " + file + ": range 4096+8192" + overlap, assertThrows(DeviceException.class,
                    () -> disk.write(4096, Disk.allocate(arena, 8192))).getMessage());
            assertThrows(DeviceException.class, () -> disk.writeDurably(AT, block));
            assertThrows(DeviceException.class, () -> disk.discard(0, 1 << 20));
            assertTrue(assertThrows(DeviceException.class, () -> disk.mapWindow(1 << 19, 4096)).getMessage()
                    .endsWith("a window is already mapped at 8192; close it first"));
            disk.write(4096, block);
            disk.write(AT + LENGTH, block);

            window.close();
            window.close();
            assertThrows(IllegalStateException.class, () -> window.segment().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals("msync " + file + ": the window is closed",
                    assertThrows(DeviceException.class, () -> window.sync(0, 1)).getMessage());
            disk.read(16384, block);
            disk.mapWindow(1 << 19, 4096).close();
        }
    }

    @Test
    void badRangesAReadOnlyOpenAndClosingTheDiskAreHandled() throws Exception {
        Path file = file(1 << 20);
        try (BlockDevice disk = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            assertEquals("mmap " + file + " offset 512 length 4096: EINVAL (a window needs a non-empty range at a"
                    + " multiple of the " + disk.mapAlignment() + "-byte page size, got 512+4096)",
                    assertThrows(DeviceException.class, () -> disk.mapWindow(512, 4096)).describe());
            assertThrows(DeviceException.class, () -> disk.mapWindow(AT, 1 << 20));
            assertThrows(DeviceException.class, () -> disk.mapWindow(AT, 0));
            DiskWindow window = disk.mapWindow(AT, LENGTH);
            assertEquals("msync " + file + " offset 20480 length 1: EINVAL (range 12288+1 lies outside the window of"
                    + " 12288 bytes)", assertThrows(DeviceException.class, () -> window.sync(LENGTH, 1)).describe());
            disk.close();
            assertThrows(IllegalStateException.class, () -> window.segment().get(ValueLayout.JAVA_BYTE, 0),
                    "closing the disk unmaps its window");
        }
        try (BlockDevice reader = BlockDevice.open(file, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            assertEquals("mmap " + file + " offset 8192 length 12288: EACCES (Permission denied)",
                    assertThrows(DeviceException.class, () -> reader.mapWindow(AT, LENGTH)).describe());
        }
    }

    /** msync of a window on an O_DIRECT loop device reaches its backing file. Needs root and losetup. */
    @Test
    void aWindowOfALoopDeviceReachesTheBackingFile() throws Exception {
        String skip = BlockDeviceTest.loopDeviceUnavailable();
        Assumptions.assumeTrue(skip == null, () -> {
            System.out.println("DiskWindowTest: loop device window skipped: " + skip);
            return skip;
        });
        Path backing = file(1 << 20);
        byte[] pattern = pattern();
        Path loop = Path.of(BlockDeviceTest.run("losetup", "--find", "--show", "--direct-io=on", backing.toString())
                .strip());
        try (Arena arena = Arena.ofConfined();
                BlockDevice disk = BlockDevice.open(loop, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.AUTO)) {
            assertTrue(disk.isBlockDevice() && disk.directIo());
            storeAndRead(arena, disk, pattern);
        } finally {
            BlockDeviceTest.run("losetup", "--detach", loop.toString());
        }
        assertArrayEquals(pattern, Arrays.copyOfRange(Files.readAllBytes(backing), (int) AT, (int) AT + LENGTH));
    }
}

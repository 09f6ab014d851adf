package brmr.admin.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.control.ControlException;
import brmr.device.BlockDevice;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import brmr.rmr.PoolException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.RmrAdapter;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.sync.PeerAnswer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * add_store mode=replace: what a compute session could see once the store is registered is already
 * on disk (MAPPED, the pool UUID, every chunk missing); a failure after registering undoes all of it.
 */
class ReplaceOrderTest {
    private static final UUID POOL_UUID = UUID.fromString("0b7d2a6c-3f7e-4d0a-9a55-7c1e1b6f0a11");
    private static final long CHUNKS = 80;

    @TempDir
    Path dir;

    /** A pool adapter that looks at the disk when the store is registered, and can fail the discard. */
    private static final class DiskCheckingAdapter implements RmrAdapter {
        final List<String> calls = new ArrayList<>();
        StoreMetadata onDiskAtRegister;
        long dirtyOnDiskAtRegister;
        boolean failDiscard;

        @Override
        public int chunkSize(String pool) {
            return 131072;
        }

        @Override
        public int memberId(String pool) {
            return 1;
        }

        @Override
        public void register(String pool, PoolStore store, RegisterMode mode) throws PoolException {
            calls.add("register " + mode);
            try (BlockDevice device = BlockDevice.open(Path.of(store.deviceName()), BlockDevice.Access.READ_ONLY,
                    BlockDevice.DirectIo.OFF)) {
                MetadataArea area = new MetadataArea(device);
                onDiskAtRegister = assertInstanceOf(MetadataState.Present.class, area.read()).newest();
                for (long word : area.readBitmap(onDiskAtRegister, onDiskAtRegister.slotOf(1))) {
                    dirtyOnDiskAtRegister += Long.bitCount(word);
                }
            } catch (IOException e) {
                throw new PoolException("device", e.getMessage(), e);
            }
        }

        @Override
        public void unregister(String pool) {
            calls.add("unregister");
        }

        @Override
        public void discard(String pool, LongStream chunks) throws PoolException {
            calls.add("discard " + chunks.count());
            if (failDiscard) {
                throw new PoolException("chunks", "injected discard failure");
            }
        }
    }

    private Path disk() throws IOException {
        Path file = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16L << 20);
        }
        return file;
    }

    private static StoreOperations operations(RmrAdapter adapter) {
        List<PeerAnswer> peers = List.of(new PeerAnswer("s2",
                new StoreParams("p1", 2, 20480, 131072, 512, true, POOL_UUID)));
        return new StoreOperations(adapter, pool -> peers, BlockDevice.DirectIo.OFF);
    }

    @Test
    void theStoreIsMappedAndAllDirtyOnDiskBeforeItIsRegistered() throws Exception {
        Path disk = disk();
        DiskCheckingAdapter adapter = new DiskCheckingAdapter();
        StoreOperations stores = operations(adapter);
        stores.add("device=" + disk + " pool=p1 mapped_size=20480 mode=replace");
        assertEquals(List.of("register REPLACE", "discard " + CHUNKS), adapter.calls,
                "registered after the disk is ready, then the chunks are handed over (and peers told)");
        assertTrue(adapter.onDiskAtRegister.mapped());
        assertEquals(POOL_UUID, adapter.onDiskAtRegister.poolUuid());
        assertEquals(CHUNKS, adapter.dirtyOnDiskAtRegister, "every chunk is durably missing");
        stores.remove("p1", "1");
    }

    @Test
    void aFailedDiscardUnregistersAndErasesTheMetadata() throws Exception {
        Path disk = disk();
        DiskCheckingAdapter adapter = new DiskCheckingAdapter();
        adapter.failDiscard = true;
        StoreOperations stores = operations(adapter);
        ControlException e = assertThrows(ControlException.class,
                () -> stores.add("device=" + disk + " pool=p1 mapped_size=20480 mode=replace"));
        assertEquals("device: replace on " + disk + " failed: chunks: injected discard failure", e.getMessage());
        assertEquals(List.of("register REPLACE", "discard " + CHUNKS, "unregister"), adapter.calls);
        assertEquals(List.of(), stores.pools());
        try (BlockDevice device = BlockDevice.open(disk, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            assertInstanceOf(MetadataState.Absent.class, new MetadataArea(device).read(),
                    "the disk is empty again and its lock released");
        }
    }
}

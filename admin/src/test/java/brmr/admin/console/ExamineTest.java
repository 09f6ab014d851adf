package brmr.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.BlockDevice;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code brmrctl examine} reports the pool's writer, in-service record and active chunks as the disk holds them. */
class ExamineTest {
    private static final UUID CLIENT = UUID.fromString("5e0f9c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b");

    @TempDir
    Path dir;

    @Test
    void aStoreWithoutAWriterSaysSo() throws Exception {
        Path disk = store(null);
        Examine.Report report = Examine.run(disk, false);
        assertTrue(report.found());
        assertTrue(report.text().contains("  writer epoch: 0 (no writer yet)\n"), report.text());
        assertTrue(report.text().contains("  writer client: none\n"), report.text());
        Map<String, Object> metadata = metadata(Examine.run(disk, true));
        assertEquals(0, ((Number) metadata.get("writer_epoch")).longValue());
        assertNull(metadata.get("writer_client"), "left out like an unset pool_uuid");
        assertTrue(report.text().contains("  map version: 0 (none recorded yet)\n"), report.text());
        assertTrue(report.text().contains("  in service:  none recorded\n"), report.text());
        assertTrue(report.text().contains("  active:      0 chunk(s) possibly not on every leg\n"), report.text());
        assertEquals(0, ((Number) metadata.get("map_version")).longValue());
        assertEquals(List.of(), metadata.get("in_service"));
        assertEquals(0, ((Number) metadata.get("active_chunks")).longValue());
    }

    @Test
    void theServiceRecordAndActiveChunksAreShownAndTheActiveSlotIsNoMember() throws Exception {
        Path disk = store(CLIENT);
        try (BlockDevice device = BlockDevice.open(disk, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            MetadataArea area = new MetadataArea(device);
            StoreMetadata m = ((MetadataState.Present) area.read()).newest();
            m = area.update(m.withService(6, List.of(2, 1)).withSlotFor(StoreMetadata.ACTIVE_CHUNKS));
            area.writeBitmap(m, m.slotOf(StoreMetadata.ACTIVE_CHUNKS), new long[] {0b1011}, 0, 4);
        }
        Examine.Report report = Examine.run(disk, false);
        assertTrue(report.text().contains("  map version: 6\n"), report.text());
        assertTrue(report.text().contains("  in service:  [2, 1]\n"), report.text());
        assertTrue(report.text().contains("  active:      3 chunk(s) possibly not on every leg\n"), report.text());
        assertTrue(report.text().contains("  dirty:       none persisted\n"), report.text());
        Map<String, Object> metadata = metadata(Examine.run(disk, true));
        assertEquals(6, ((Number) metadata.get("map_version")).longValue());
        assertEquals(List.of(2, 1), metadata.get("in_service"));
        assertEquals(3, ((Number) metadata.get("active_chunks")).longValue());
        assertEquals(List.of(), metadata.get("dirty"));
    }

    @Test
    void theWriterEpochAndClientAreShownInTextAndJson() throws Exception {
        Path disk = store(CLIENT);
        Examine.Report report = Examine.run(disk, false);
        assertTrue(report.text().contains("  writer epoch: " + Long.MAX_VALUE + "\n"), report.text());
        assertTrue(report.text().contains("  writer client: " + CLIENT + "\n"), report.text());
        Map<String, Object> metadata = metadata(Examine.run(disk, true));
        assertEquals(Long.MAX_VALUE, ((Number) metadata.get("writer_epoch")).longValue());
        assertEquals(CLIENT.toString(), metadata.get("writer_client"));
    }

    /** A store file; mapped with {@code writer} in epoch Long.MAX_VALUE when it is not null. */
    private Path store(UUID writer) throws Exception {
        Path file = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16L << 20);
        }
        try (BlockDevice device = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            MetadataArea area = new MetadataArea(device);
            StoreMetadata m = area.create(StoreMetadata.create("p1", 1, 20480, 131072, 512, UUID.randomUUID(), 0));
            if (writer != null) {
                area.update(m.withMapped(UUID.randomUUID()).withWriter(Long.MAX_VALUE, writer));
            }
        }
        return file;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metadata(Examine.Report json) throws Exception {
        return (Map<String, Object>) JSON.std.mapFrom(json.text()).get("metadata");
    }
}

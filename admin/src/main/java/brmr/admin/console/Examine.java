package brmr.admin.console;

import brmr.device.BlockDevice;
import brmr.device.DeviceException;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code brmrctl examine DEVICE}: what brmr metadata a disk holds, read directly from the disk (like mdadm --examine). */
final class Examine {
    /** The report and whether metadata was found. */
    record Report(String text, boolean found) {
    }

    private Examine() {
    }

    static Report run(Path device, boolean json) throws DeviceException {
        try (BlockDevice disk = BlockDevice.open(device, BlockDevice.Access.READ_ONLY, BlockDevice.DirectIo.OFF)) {
            MetadataArea area = new MetadataArea(disk);
            MetadataState state = area.read();
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("device", device.toString());
            report.put("device_bytes", disk.size());
            StringBuilder text = new StringBuilder();
            boolean found = false;
            switch (state) {
                case MetadataState.Absent absent -> {
                    report.put("metadata", null);
                    report.put("torn_remnants", absent.remnants());
                    text.append(device).append(": no brmr metadata");
                    if (absent.remnants()) {
                        text.append(" (remnants of an interrupted metadata write, ignored)");
                    }
                    text.append('\n');
                }
                case MetadataState.Unsupported unsupported -> {
                    report.put("metadata", Map.of("format_version", unsupported.version(), "supported", false));
                    text.append(device).append(": brmr metadata of format version ").append(unsupported.version())
                            .append(", newer than this brmrctl supports\n");
                    found = true;
                }
                case MetadataState.Present present -> {
                    report.put("metadata", describe(area, present, text, device));
                    found = true;
                }
            }
            return new Report(json ? toJson(report) + "\n" : text.toString(), found);
        }
    }

    private static Map<String, Object> describe(MetadataArea area, MetadataState.Present present, StringBuilder text,
            Path device) throws DeviceException {
        StoreMetadata m = present.newest();
        List<Object> dirty = new ArrayList<>();
        StringBuilder dirtyText = new StringBuilder();
        int[] slots = m.slotMembers();
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] < 0) {
                continue;
            }
            long count = bitCount(area, m, slot);
            dirty.add(Map.of("member", slots[slot], "dirty", count, "total", m.layout().chunkCount()));
            dirtyText.append(dirtyText.isEmpty() ? "" : ", ").append("member ").append(slots[slot]).append(' ')
                    .append(count).append('/').append(m.layout().chunkCount());
        }
        int activeSlot = m.slotOf(StoreMetadata.ACTIVE_CHUNKS);
        long active = activeSlot < 0 ? 0 : bitCount(area, m, activeSlot);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format_version", m.formatVersion());
        json.put("pool", m.poolName());
        json.put("pool_uuid", m.poolUuid() == null ? null : m.poolUuid().toString());
        json.put("member_id", m.memberId());
        json.put("state", m.mapped() ? List.of("open", "mapped") : List.of("open"));
        json.put("mapped", m.mapped());
        json.put("writer_epoch", m.writerEpoch());
        json.put("writer_client", m.writerClient() == null ? null : m.writerClient().toString());
        json.put("map_version", m.mapVersion());
        json.put("in_service", m.inService());
        json.put("active_chunks", active);
        json.put("mapped_size", m.mappedSizeSectors());
        json.put("chunk_size", m.chunkSize());
        json.put("chunks", m.layout().chunkCount());
        json.put("sector_size", m.sectorSize());
        json.put("data_offset", m.layout().dataOffset());
        json.put("generation", m.generation());
        json.put("valid_copies", present.validCopies());
        json.put("store_uuid", m.storeUuid().toString());
        json.put("dirty", dirty);
        text.append(device).append(": brmr store metadata, format version ").append(m.formatVersion()).append('\n')
                .append(line("pool", m.poolName()))
                .append(line("pool uuid", m.poolUuid() == null ? "unset (never mapped)" : m.poolUuid().toString()))
                .append(line("member id", m.memberId()))
                .append(line("flags", m.mapped() ? "mapped" : "none (never mapped)"))
                .append(line("writer epoch", m.writerEpoch() == 0 ? "0 (no writer yet)" : m.writerEpoch()))
                .append(line("writer client", m.writerClient() == null ? "none" : m.writerClient()))
                .append(line("map version", m.mapVersion() == 0 ? "0 (none recorded yet)" : m.mapVersion()))
                .append(line("in service", m.inService().isEmpty() ? "none recorded" : m.inService()))
                .append(line("active", active + " chunk(s) possibly not on every leg"))
                .append(line("mapped size", m.mappedSizeSectors() + " sectors (" + mib(m.mappedSizeSectors() * 512)
                        + ")"))
                .append(line("chunk size", m.chunkSize() + " (" + m.layout().chunkCount() + " chunks)"))
                .append(line("sector size", m.sectorSize()))
                .append(line("data offset", m.layout().dataOffset()))
                .append(line("generation", m.generation() + " (" + present.validCopies() + " of 2 copies valid)"))
                .append(line("store uuid", m.storeUuid()))
                .append(line("dirty", dirtyText.isEmpty() ? "none persisted" : dirtyText));
        return json;
    }

    private static long bitCount(MetadataArea area, StoreMetadata m, int slot) throws DeviceException {
        long count = 0;
        for (long word : area.readBitmap(m, slot)) {
            count += Long.bitCount(word);
        }
        return count;
    }

    private static String line(String label, Object value) {
        return String.format("  %-12s %s%n", label + ":", value);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    private static String toJson(Object value) {
        try {
            return JSON.std.asString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

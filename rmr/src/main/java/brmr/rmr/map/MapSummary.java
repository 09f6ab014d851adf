package brmr.rmr.map;

import java.util.Collection;

/** The text of {@code map_summary}: per member, the dirty chunk numbers (ranges joined) and dirty/total. */
public final class MapSummary {
    private MapSummary() {
    }

    public static String format(Collection<DirtyMap> maps) {
        StringBuilder text = new StringBuilder();
        for (DirtyMap map : maps) {
            long[] chunks = map.dirtyChunks();
            text.append("member ").append(map.memberId()).append(": [").append(ranges(chunks)).append("] ")
                    .append(chunks.length).append('/').append(map.chunkCount()).append('\n');
        }
        return text.toString();
    }

    /** The text of {@code map}: per member, every bit of its map as hex, 64 chunks a word, chunk 0 lowest. */
    public static String bits(Collection<DirtyMap> maps) {
        StringBuilder text = new StringBuilder();
        for (DirtyMap map : maps) {
            text.append("member ").append(map.memberId()).append(':');
            for (long word : map.words()) {
                text.append(' ').append(String.format("%016x", word));
            }
            text.append('\n');
        }
        return text.toString();
    }

    /** Ascending chunk numbers as "0-3, 7, 9-10". */
    static String ranges(long[] chunks) {
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (i < chunks.length) {
            int j = i;
            while (j + 1 < chunks.length && chunks[j + 1] == chunks[j] + 1) {
                j++;
            }
            if (text.length() > 0) {
                text.append(", ");
            }
            text.append(chunks[i]);
            if (j > i) {
                text.append('-').append(chunks[j]);
            }
            i = j + 1;
        }
        return text.toString();
    }
}

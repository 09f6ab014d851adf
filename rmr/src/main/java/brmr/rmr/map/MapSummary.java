package brmr.rmr.map;

import java.util.Collection;

/**
 * The text of {@code map_summary} as upstream prints it: per member one line, its dirty chunk numbers
 * separated by spaces, then dirty/total, e.g. {@code member 43: [12 28 80] 3/800 dirty}.
 */
public final class MapSummary {
    private MapSummary() {
    }

    public static String format(Collection<DirtyMap> maps) {
        StringBuilder text = new StringBuilder();
        for (DirtyMap map : maps) {
            long[] chunks = map.dirtyChunks();
            text.append("member ").append(map.memberId()).append(": [");
            for (int i = 0; i < chunks.length; i++) {
                text.append(i == 0 ? "" : " ").append(chunks[i]);
            }
            text.append("] ").append(chunks.length).append('/').append(map.chunkCount()).append(" dirty\n");
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
}

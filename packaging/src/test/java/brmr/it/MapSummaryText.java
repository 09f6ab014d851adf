package brmr.it;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code map_summary}: "member N: [0 1 2 3 7] dirty/total dirty" per line, as upstream prints it. */
final class MapSummaryText {
    private static final Pattern LINE = Pattern.compile("member (\\d+): \\[([0-9 ]*)\\] (\\d+)/(\\d+) dirty");

    private MapSummaryText() {
    }

    /** Dirty chunks per member. */
    static Map<Integer, TreeSet<Long>> parse(String text) {
        Map<Integer, TreeSet<Long>> members = new TreeMap<>();
        for (String line : text.strip().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new AssertionError("not a map_summary line: '" + line + "'");
            }
            TreeSet<Long> chunks = new TreeSet<>();
            for (String chunk : m.group(2).split(" ")) {
                if (!chunk.isEmpty()) {
                    chunks.add(Long.parseLong(chunk));
                }
            }
            if (chunks.size() != Integer.parseInt(m.group(3))) {
                throw new AssertionError("count " + m.group(3) + " does not match the chunks listed: " + line);
            }
            members.put(Integer.parseInt(m.group(1)), chunks);
        }
        return members;
    }
}

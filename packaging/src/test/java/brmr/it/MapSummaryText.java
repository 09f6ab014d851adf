package brmr.it;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code map_summary}: "member N: [0-3, 7] dirty/total" per line. */
final class MapSummaryText {
    private static final Pattern LINE = Pattern.compile("member (\\d+): \\[([^\\]]*)\\] (\\d+)/(\\d+)");

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
            for (String part : m.group(2).split(",")) {
                String range = part.strip();
                if (range.isEmpty()) {
                    continue;
                }
                int dash = range.indexOf('-');
                long from = Long.parseLong(dash < 0 ? range : range.substring(0, dash));
                long to = dash < 0 ? from : Long.parseLong(range.substring(dash + 1));
                for (long c = from; c <= to; c++) {
                    chunks.add(c);
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

package brmr.admin.daemon;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The journal file's format: JSON {@code {"version":1,"entries":[{"kind","key","path","value"},...]}},
 * entries in replay order. The only class that reads or writes the journal's bytes.
 */
public final class ConfigJournalCodec {
    public static final int VERSION = 1;

    private ConfigJournalCodec() {
    }

    /** The journal cannot be read: the message says why in one line. */
    public static final class FormatException extends Exception {
        FormatException(String message) {
            super(message);
        }
    }

    public static byte[] encode(List<JournalEntry> entries) {
        List<Object> list = new ArrayList<>();
        for (JournalEntry entry : entries) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("kind", entry.kind().label());
            e.put("key", entry.key());
            e.put("path", entry.path());
            e.put("value", entry.value());
            list.add(e);
        }
        Map<String, Object> journal = new LinkedHashMap<>();
        journal.put("version", VERSION);
        journal.put("entries", list);
        try {
            return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asBytes(journal);
        } catch (IOException e) {
            throw new IllegalStateException("encoding the journal failed", e);
        }
    }

    public static List<JournalEntry> decode(byte[] bytes) throws FormatException {
        Object root;
        try {
            root = JSON.std.anyFrom(bytes);
        } catch (IOException | RuntimeException e) {
            throw new FormatException("not JSON: " + firstLine(e.getMessage()));
        }
        if (!(root instanceof Map<?, ?> journal)) {
            throw new FormatException("not a JSON object");
        }
        if (!(journal.get("version") instanceof Number version) || version.intValue() != VERSION
                || version.doubleValue() != VERSION) {
            throw new FormatException("version " + journal.get("version") + " is not " + VERSION);
        }
        if (!(journal.get("entries") instanceof List<?> list)) {
            throw new FormatException("entries: missing or not a list");
        }
        List<JournalEntry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> e)) {
                throw new FormatException("entries[" + i + "]: not an object");
            }
            JournalEntry.Kind kind = JournalEntry.Kind.ofLabel(text(e, "kind", i));
            if (kind == null) {
                throw new FormatException("entries[" + i + "].kind: '" + e.get("kind") + "' is unknown");
            }
            String key = text(e, "key", i);
            String path = text(e, "path", i);
            String value = text(e, "value", i);
            if (key.isEmpty() || path.isEmpty()) {
                throw new FormatException("entries[" + i + "]: empty key or path");
            }
            entries.add(new JournalEntry(kind, key, path, value));
        }
        return entries;
    }

    private static String text(Map<?, ?> entry, String field, int index) throws FormatException {
        if (!(entry.get(field) instanceof String text)) {
            throw new FormatException("entries[" + index + "]." + field + ": missing or not a string");
        }
        return text;
    }

    /** The parser's reason without its source excerpt and location, which run over several lines. */
    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int end = message.length();
        for (String cut : new String[] {"\n", " (start marker", " at [Source"}) {
            int at = message.indexOf(cut);
            if (at > 0) {
                end = Math.min(end, at);
            }
        }
        return message.substring(0, end);
    }
}

package brmr.admin.events;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One line of {@code brmrctl events}, as {@code drbdsetup events2} prints them: {@code exists} for each
 * object at the start (ended by {@code exists -}), then {@code create}, {@code change} (the fields
 * that changed) and {@code destroy}.
 *
 * @param ids the object's identifying attributes as name-value pairs
 */
public record StateEvent(Instant time, Type type, String kind, List<String> ids, Map<String, String> fields) {
    /** What happened to the object. */
    public enum Type {
        EXISTS, CREATE, CHANGE, DESTROY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The kind of the line that ends the initial dump: {@code exists -}. */
    public static final String END_OF_DUMP = "-";

    public StateEvent {
        ids = List.copyOf(ids);
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    static StateEvent endOfDump(Instant time) {
        return new StateEvent(time, Type.EXISTS, END_OF_DUMP, List.of(), Map.of());
    }

    /** The text line: {@code change session name:s1 pool:p1 state:failed}. */
    public String text() {
        StringBuilder line = new StringBuilder(type.label()).append(' ').append(kind);
        for (int i = 0; i < ids.size(); i += 2) {
            line.append(' ').append(ids.get(i)).append(':').append(quote(ids.get(i + 1)));
        }
        fields.forEach((name, value) -> line.append(' ').append(name).append(':').append(quote(value)));
        return line.toString();
    }

    /** A value with a space, quote or backslash, or an empty one, is quoted so that a line splits on spaces. */
    static String quote(String value) {
        if (!value.isEmpty() && value.chars().noneMatch(c -> c == '"' || c == '\\' || Character.isWhitespace(c))) {
            return value;
        }
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
}

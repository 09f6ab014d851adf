package brmr.admin.events;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a daemon's objects (pools, sessions, stores, syncs, ...) look like at one moment: each object
 * named by its kind and identifying attributes, with the fields whose changes are reported as events.
 * Filled by one thread, then only read.
 */
public final class StateSnapshot {
    /**
     * An object: {@code kind} such as {@code session}, {@code ids} the identifying attributes as
     * name-value pairs in order, e.g. {@code [name, s1, pool, p1]}.
     */
    public record Key(String kind, List<String> ids) {
        public Key {
            if (ids.size() % 2 != 0) {
                throw new IllegalArgumentException(kind + ": ids come in name-value pairs");
            }
            ids = List.copyOf(ids);
        }
    }

    private final Map<Key, Map<String, String>> objects = new LinkedHashMap<>();

    /** Adds an object and returns its fields to fill, in the order they are to be printed. */
    public Map<String, String> object(String kind, String... ids) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (objects.putIfAbsent(new Key(kind, List.of(ids)), fields) != null) {
            throw new IllegalArgumentException(kind + " " + List.of(ids) + " is already in the snapshot");
        }
        return fields;
    }

    /** The objects in the order they were added. */
    public Map<Key, Map<String, String>> objects() {
        return Collections.unmodifiableMap(objects);
    }
}

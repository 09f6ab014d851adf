package brmr.admin.events;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The events that lead from one snapshot of a daemon's objects to the next. */
public final class StateDiff {
    private StateDiff() {
    }

    /** The initial dump: an {@code exists} line per object, then {@code exists -}. */
    public static List<StateEvent> exists(StateSnapshot snapshot, Instant time) {
        List<StateEvent> events = new ArrayList<>();
        snapshot.objects().forEach((key, fields) -> events.add(event(time, StateEvent.Type.EXISTS, key, fields)));
        events.add(StateEvent.endOfDump(time));
        return events;
    }

    /**
     * Objects new in {@code after} are created with all their fields, objects in both change with the
     * fields that differ (a field gone reads as empty), and objects gone are destroyed, last first.
     */
    public static List<StateEvent> between(StateSnapshot before, StateSnapshot after, Instant time) {
        List<StateEvent> events = new ArrayList<>();
        Map<StateSnapshot.Key, Map<String, String>> old = before.objects();
        after.objects().forEach((key, fields) -> {
            Map<String, String> was = old.get(key);
            if (was == null) {
                events.add(event(time, StateEvent.Type.CREATE, key, fields));
                return;
            }
            Map<String, String> changed = new LinkedHashMap<>();
            fields.forEach((name, value) -> {
                if (!value.equals(was.get(name))) {
                    changed.put(name, value);
                }
            });
            was.keySet().stream().filter(name -> !fields.containsKey(name)).forEach(name -> changed.put(name, ""));
            if (!changed.isEmpty()) {
                events.add(event(time, StateEvent.Type.CHANGE, key, changed));
            }
        });
        List<StateSnapshot.Key> gone = new ArrayList<>(old.keySet());
        gone.removeAll(after.objects().keySet());
        for (StateSnapshot.Key key : gone.reversed()) {
            events.add(event(time, StateEvent.Type.DESTROY, key, Map.of()));
        }
        return events;
    }

    private static StateEvent event(Instant time, StateEvent.Type type, StateSnapshot.Key key,
            Map<String, String> fields) {
        return new StateEvent(time, type, key.kind(), key.ids(), fields);
    }
}

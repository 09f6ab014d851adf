package brmr.admin.daemon;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a daemon brought back from its journal at start: how many pools, stores, sessions and devices,
 * the steps that failed (and are being retried), or why nothing was restored. Shown by {@code brmrctl status}.
 * Written by the thread that replays and the one that retries, read by status: guarded by this.
 */
public final class RestoreReport {
    /** How the start went. */
    public enum Outcome {
        /** No journal yet: a new daemon. */
        NOTHING,
        /** {@code --restore no}: started empty. */
        OFF,
        /** The journal could not be read: kept aside, started empty. */
        SET_ASIDE,
        /** The journal was replayed (possibly with failed steps). */
        RESTORED
    }

    private final Outcome outcome;
    private final Map<JournalEntry.Kind, Integer> restored = new EnumMap<>(JournalEntry.Kind.class);
    /** Failed steps still retried: the entry, and the step with its last reason. */
    private final Map<JournalEntry, String> failures = new LinkedHashMap<>();
    private final String note;

    private RestoreReport(Outcome outcome, String note) {
        this.outcome = outcome;
        this.note = note;
    }

    static RestoreReport nothing() {
        return new RestoreReport(Outcome.NOTHING, null);
    }

    static RestoreReport off(String note) {
        return new RestoreReport(Outcome.OFF, note);
    }

    static RestoreReport setAside(String note) {
        return new RestoreReport(Outcome.SET_ASIDE, note);
    }

    static RestoreReport restored() {
        return new RestoreReport(Outcome.RESTORED, null);
    }

    synchronized void applied(JournalEntry entry) {
        failures.remove(entry);
        restored.merge(entry.kind(), 1, Integer::sum);
    }

    /** Records why {@code entry} failed; true when that is news (first failure, or another reason). */
    synchronized boolean failed(JournalEntry entry, String step) {
        return !step.equals(failures.put(entry, step));
    }

    /** A failed step is no longer retried (an operator command took it over). */
    synchronized void dropped(JournalEntry entry) {
        failures.remove(entry);
    }

    /** The failed steps, in replay order, to try again. */
    synchronized List<JournalEntry> pending() {
        return List.copyOf(failures.keySet());
    }

    public synchronized Outcome outcome() {
        return outcome;
    }

    /** Restored entries of {@code kind}. */
    public synchronized int count(JournalEntry.Kind kind) {
        return restored.getOrDefault(kind, 0);
    }

    /** One line per failed step: the control file, the value, and why. */
    public synchronized List<String> failures() {
        return List.copyOf(failures.values());
    }

    /** One line, e.g. {@code restored: 2 pools, 1 store, 2 sessions, 1 device; 1 step failed}. */
    public synchronized String summary() {
        return switch (outcome) {
            case NOTHING -> "restored: nothing (no journal yet)";
            case OFF -> "restored: nothing (--restore no); " + note;
            case SET_ASIDE -> "restored: nothing; " + note;
            case RESTORED -> {
                List<String> parts = new ArrayList<>();
                count(parts, count(JournalEntry.Kind.POOL) + count(JournalEntry.Kind.SYNC_POOL), "pool");
                count(parts, count(JournalEntry.Kind.STORE), "store");
                count(parts, count(JournalEntry.Kind.SESSION), "session");
                count(parts, count(JournalEntry.Kind.DEVICE), "device");
                String text = "restored: " + (parts.isEmpty() ? "nothing" : String.join(", ", parts));
                yield failures.isEmpty() ? text : text + "; " + failures.size()
                        + (failures.size() == 1 ? " step" : " steps") + " failed, retrying";
            }
        };
    }

    private static void count(List<String> parts, int count, String noun) {
        if (count > 0) {
            parts.add(count + " " + noun + (count == 1 ? "" : "s"));
        }
    }

    /** The report in a daemon's status JSON. */
    public synchronized Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
        json.put("summary", summary());
        Map<String, Object> counts = new LinkedHashMap<>();
        restored.forEach((kind, count) -> counts.put(kind.label(), count));
        json.put("restored", counts);
        json.put("failed", failures());
        return json;
    }
}

package brmr.admin.daemon;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.tinylog.Logger;

/**
 * The configuration a daemon accepted (joins, stores, sessions, maps), as the control-file writes that
 * bring it back after a restart. Every change is saved at once through a {@link DurableFile}; a save
 * that fails leaves the daemon running with the change, says so in the log and in {@link #saveError()}.
 */
public final class ConfigJournal {
    public static final String FILE_NAME = "journal.json";

    /** Null: kept in memory only (tests, embedded nodes). */
    private final DurableFile file;
    /** Guarded by this: entries by key, in the order they were first recorded. */
    private final Map<String, JournalEntry> entries = new LinkedHashMap<>();
    /** Guarded by this: why the last save failed, null after a good one. */
    private String saveError;
    /** Guarded by this: per key, the number of the last command that recorded it (identical or not). */
    private final Map<String, Long> recordedBy = new LinkedHashMap<>();
    /** Guarded by this. */
    private long commands;

    private ConfigJournal(DurableFile file, List<JournalEntry> initial) {
        this.file = file;
        initial.forEach(entry -> entries.put(entry.key(), entry));
    }

    /** A journal that saves nothing. */
    public static ConfigJournal inMemory() {
        return new ConfigJournal(null, List.of());
    }

    /** A journal holding {@code initial}, saved to {@code file} from the first change on. */
    static ConfigJournal of(DurableFile file, List<JournalEntry> initial) {
        return new ConfigJournal(file, initial);
    }

    /** Records {@code entry}, replacing one of the same key; saves if anything changed. */
    public synchronized void record(JournalEntry entry) {
        recordedBy.put(entry.key(), ++commands);
        if (!entry.equals(entries.put(entry.key(), entry))) {
            save();
        }
    }

    /** Removes the entry {@code key} and every entry under it ({@code key/...}). */
    public void forget(String key) {
        forgetIf(entry -> entry.within(key));
    }

    /** Removes the entries that match; saves if any did. */
    public synchronized void forgetIf(Predicate<JournalEntry> which) {
        List<String> gone = entries.values().stream().filter(which).map(JournalEntry::key).toList();
        recordedBy.keySet().removeAll(gone);
        if (entries.values().removeIf(which)) {
            save();
        }
    }

    /**
     * Whether {@code entry} is still in the journal as it was read at start, untouched by any command since
     * (a command that records the same key, even identically, or forgets it, means an operator took over).
     */
    synchronized boolean untouchedSinceStart(JournalEntry entry) {
        return entry.equals(entries.get(entry.key())) && !recordedBy.containsKey(entry.key());
    }

    /** The entries in replay order: by kind, then in the order they were first recorded. */
    public synchronized List<JournalEntry> entries() {
        List<JournalEntry> ordered = new ArrayList<>(entries.values());
        ordered.sort(Comparator.comparing(JournalEntry::kind));
        return ordered;
    }

    /** Why the last save failed; empty when the file holds what the daemon runs with. */
    public synchronized Optional<String> saveError() {
        return Optional.ofNullable(saveError);
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            file.replace(ConfigJournalCodec.encode(entries()));
            if (saveError != null) {
                Logger.info("journal {} saved again", file.path());
            }
            saveError = null;
        } catch (IOException e) {
            String reason = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
            Logger.warn("journal {}: the change is in effect but not saved for a restart: {}", file.path(), reason);
            saveError = reason;
        }
    }
}

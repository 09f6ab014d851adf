package brmr.admin.daemon;

import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.tinylog.Logger;

/**
 * A daemon's start from its journal ({@code --restore yes|no}): reads {@code STATE-DIR/journal.json},
 * then replays each entry through the control tree, exactly as if it were typed. A step that fails is
 * logged in one line and the rest goes on; the failed steps are tried again in the background, with
 * back-off, until they succeed (a peer that was not up yet) or a command touches what they configure. A
 * journal that cannot be read, or is not to be restored, is moved aside (kept for the operator) and the
 * daemon starts empty.
 */
public final class JournalRestore implements AutoCloseable {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'");
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

    private final ConfigJournal journal;
    private final List<JournalEntry> pending;
    private final RestoreReport report;
    /** Guarded by this: set once the daemon stops, which ends the retries. */
    private boolean closed;
    private volatile Duration firstRetry = FIRST_RETRY;

    private JournalRestore(ConfigJournal journal, List<JournalEntry> pending, RestoreReport report) {
        this.journal = journal;
        this.pending = pending;
        this.report = report;
    }

    /** Reads the journal in {@code stateDir}; with {@code restore} false it is moved aside unread. */
    public static JournalRestore open(Path stateDir, boolean restore) {
        DurableFile file = new DurableFile(stateDir.resolve(ConfigJournal.FILE_NAME));
        Path path = file.path();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return new JournalRestore(ConfigJournal.of(file, List.of()), List.of(), RestoreReport.nothing());
        } catch (IOException e) {
            return setAside(file, "cannot read it: " + e.getMessage());
        }
        if (!restore) {
            String kept = moveAside(path, "skipped");
            Logger.info("journal {} not restored (--restore no); {}", path, kept);
            return new JournalRestore(ConfigJournal.of(file, List.of()), List.of(), RestoreReport.off(kept));
        }
        List<JournalEntry> entries;
        try {
            entries = ConfigJournalCodec.decode(bytes);
        } catch (ConfigJournalCodec.FormatException e) {
            return setAside(file, e.getMessage());
        }
        return new JournalRestore(ConfigJournal.of(file, entries), entries, RestoreReport.restored());
    }

    private static JournalRestore setAside(DurableFile file, String reason) {
        String note = "journal " + file.path() + " is unreadable (" + reason + "); " + moveAside(file.path(), "bad");
        Logger.warn("{}; starting empty", note);
        return new JournalRestore(ConfigJournal.of(file, List.of()), List.of(), RestoreReport.setAside(note));
    }

    /** Renames the journal to {@code journal.json.<why>-<UTC time>}; says where it went (or why it stayed). */
    private static String moveAside(Path path, String why) {
        Path aside = path.resolveSibling(path.getFileName() + "." + why + "-"
                + STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)));
        try {
            Files.move(path, aside);
            return "kept as " + aside;
        } catch (IOException e) {
            return "it could not be moved aside (" + e.getMessage() + ") and will be overwritten";
        }
    }

    /** The journal the daemon records into from now on. */
    public ConfigJournal journal() {
        return journal;
    }

    /** Tests retry sooner than a daemon. */
    JournalRestore retryingAfter(Duration first) {
        this.firstRetry = first;
        return this;
    }

    /**
     * Writes every entry read at open to {@code tree}, in replay order, and starts retrying the steps that
     * failed; returns the report, which the retries keep up to date.
     */
    public RestoreReport replay(ControlTree tree) {
        for (JournalEntry entry : pending) {
            apply(tree, entry, false);
        }
        if (report.outcome() == RestoreReport.Outcome.RESTORED) {
            Logger.info("{}", report.summary());
        }
        if (!report.pending().isEmpty()) {
            Thread.ofVirtual().name("journal-retry").start(() -> retry(tree));
        }
        return report;
    }

    private void apply(ControlTree tree, JournalEntry entry, boolean again) {
        try {
            tree.write(entry.path(), entry.value());
            report.applied(entry);
            if (again) {
                Logger.info("restore: {} '{}' applied on a retry", entry.path(), entry.value());
            }
        } catch (ControlException | RuntimeException e) {
            if (report.failed(entry, entry.path() + " '" + entry.value() + "': " + e.getMessage())) {
                Logger.warn("restore: {} failed{}: {}", entry.path(), again ? " again" : "", e.getMessage());
            }
        }
    }

    /** Rounds over the failed steps, in replay order (a session before the map that needs it), with back-off. */
    private void retry(ControlTree tree) {
        Duration wait = firstRetry;
        while (awaitRound(wait)) {
            for (JournalEntry entry : report.pending()) {
                if (journal.untouchedSinceStart(entry)) {
                    apply(tree, entry, true);
                } else {
                    report.dropped(entry);
                    Logger.info("restore: {} '{}' no longer retried: a command since took it over", entry.path(),
                            entry.value());
                }
            }
            if (report.pending().isEmpty()) {
                Logger.info("restore: every step applied; {}", report.summary());
                return;
            }
            Duration doubled = wait.multipliedBy(2);
            wait = doubled.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : doubled;
        }
    }

    /** Waits {@code wait} for the next round; false once closed. */
    private synchronized boolean awaitRound(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            for (long left = wait.toNanos(); !closed && left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !closed;
    }

    /** The daemon stops: no more retries. */
    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}

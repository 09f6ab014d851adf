package brmr.admin.daemon;

import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.tinylog.Logger;

/**
 * A daemon's start from its journal ({@code --restore yes|no}): reads {@code STATE-DIR/journal.json},
 * then replays each entry through the control tree, exactly as if it were typed. A step that fails is
 * logged in one line and the rest goes on. A journal that cannot be read, or is not to be restored, is
 * moved aside (kept for the operator) and the daemon starts empty.
 */
public final class JournalRestore {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'");

    private final ConfigJournal journal;
    private final List<JournalEntry> pending;
    private final RestoreReport report;

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

    /** Writes every entry read at open to {@code tree}, in replay order; returns what came back. */
    public RestoreReport replay(ControlTree tree) {
        for (JournalEntry entry : pending) {
            try {
                tree.write(entry.path(), entry.value());
                report.applied(entry);
            } catch (ControlException | RuntimeException e) {
                String step = entry.path() + " '" + entry.value() + "': " + e.getMessage();
                Logger.warn("restore: {} failed: {}", entry.path(), e.getMessage());
                report.failed(step);
            }
        }
        if (report.outcome() == RestoreReport.Outcome.RESTORED) {
            Logger.info("{}", report.summary());
        }
        return report;
    }
}

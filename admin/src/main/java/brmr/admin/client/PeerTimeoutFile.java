package brmr.admin.client;

import brmr.admin.control.ControlException;
import brmr.admin.daemon.JournalEntry;
import brmr.rmr.client.PeerTimeout;

/** The {@code peer_timeout} control file of a pool (compute client and sync pools alike): whole seconds. */
public final class PeerTimeoutFile {
    private PeerTimeoutFile() {
    }

    /** Sets the timeout from the operator's value; one line naming the field when it is not a number in range. */
    public static String write(PeerTimeout timeout, String value) throws ControlException {
        String text = value.strip();
        long seconds;
        try {
            seconds = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ControlException("peer_timeout", "'" + text + "' is not a whole number of seconds");
        }
        ControlException.refusing(() -> timeout.seconds(seconds));
        return "";
    }

    /** The journal entry that sets the timeout of the pool {@code poolKey} again after a restart. */
    public static JournalEntry entry(String poolKey, String value) {
        String file = poolKey + "/peer_timeout";
        return new JournalEntry(JournalEntry.Kind.SETTING, file, file, value.strip());
    }
}

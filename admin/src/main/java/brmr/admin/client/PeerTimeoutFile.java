package brmr.admin.client;

import brmr.admin.control.ControlException;
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
}

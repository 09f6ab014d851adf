package brmr.admin.control;

import brmr.rmr.PoolException;

/** A refused control command: one line naming the field and the reason. */
public final class ControlException extends Exception {
    private final String field;

    public ControlException(String field, String reason) {
        super(field + ": " + reason);
        this.field = field;
    }

    public ControlException(String field, String reason, Throwable cause) {
        super(field + ": " + reason, cause);
        this.field = field;
    }

    /** A refusal of the pool layer, passed on with its field and reason. */
    public static ControlException of(PoolException refusal) {
        return new ControlException(refusal.field(), refusal.reason(), refusal);
    }

    /** A pool operation whose refusal becomes a control refusal. */
    @FunctionalInterface
    public interface PoolAction {
        void run() throws PoolException, ControlException;
    }

    public static void refusing(PoolAction action) throws ControlException {
        try {
            action.run();
        } catch (PoolException e) {
            throw of(e);
        }
    }

    public String field() {
        return field;
    }
}

package brmr.admin.control;

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

    public String field() {
        return field;
    }
}

package brmr.rmr.tls;

/** TLS credentials that cannot be used; the message is one line naming the option and the reason. */
public final class TlsSetupException extends Exception {
    private final String option;

    TlsSetupException(String option, String reason) {
        super("--" + option + ": " + reason);
        this.option = option;
    }

    /** The option at fault, without dashes, e.g. {@code tls-key}. */
    public String option() {
        return option;
    }
}

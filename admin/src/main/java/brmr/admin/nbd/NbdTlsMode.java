package brmr.admin.nbd;

import java.util.Locale;
import java.util.Optional;

/** {@code --nbd-tls}: whether the export offers NBD_OPT_STARTTLS, and whether it insists on it. */
public enum NbdTlsMode {
    /** No TLS: NBD_OPT_STARTTLS is unsupported (the spec's NOTLS mode). */
    OFF,
    /**
     * Clients may upgrade with NBD_OPT_STARTTLS, showing a certificate the CA signed or none; plain clients are
     * served too (the spec's SELECTIVETLS with no TLS-only export).
     */
    OPTIONAL,
    /**
     * Every option but NBD_OPT_STARTTLS and NBD_OPT_ABORT is refused until TLS is up (FORCEDTLS), and the client
     * must show a certificate the CA signed (qemu's tls-creds-x509 and libnbd send client-cert.pem from their dir).
     */
    REQUIRE;

    /** The mode named on the command line ({@code off}, {@code optional}, {@code require}). */
    public static Optional<NbdTlsMode> named(String name) {
        for (NbdTlsMode mode : values()) {
            if (mode.label().equals(name)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

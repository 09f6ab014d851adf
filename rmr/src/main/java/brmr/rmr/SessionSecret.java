package brmr.rmr;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret every daemon of a deployment shares ({@code --secret-file}): sessions prove they hold it
 * with an HMAC-SHA256 over the handshake's transcript, and it never travels itself.
 */
public final class SessionSecret {
    /** Shorter secrets are refused: 16 bytes of randomness is the least an HMAC key should carry. */
    public static final int MIN_BYTES = 16;
    /** Longer files are refused: a secret file is a key, not a document. */
    public static final int MAX_BYTES = 4096;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;

    /** @throws IllegalArgumentException fewer than {@link #MIN_BYTES} or more than {@link #MAX_BYTES} bytes */
    public SessionSecret(byte[] secret) {
        if (secret.length < MIN_BYTES || secret.length > MAX_BYTES) {
            throw new IllegalArgumentException("the secret is " + secret.length + " bytes, it needs " + MIN_BYTES
                    + ".." + MAX_BYTES);
        }
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    /** The HMAC-SHA256 of {@code transcript} under this secret (32 bytes). */
    public byte[] mac(byte[] transcript) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(transcript);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + ALGORITHM, e);
        }
    }

    /** Never the bytes: a secret must not end up in a log line. */
    @Override
    public String toString() {
        return "SessionSecret[hidden]";
    }
}

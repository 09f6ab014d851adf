package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.SessionSecret;
import brmr.rmr.tls.TransportSecurity;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --secret-file} and {@code --insecure}: which secret files a daemon takes, and where it may listen. */
class DaemonSecurityOptionsTest {
    private static final byte[] TRANSCRIPT = {1, 2, 3};

    @TempDir
    Path dir;

    private static DaemonOptions parse(String... args) throws DaemonOptions.UsageException {
        return DaemonOptions.parse("brmr-server", args, List.of("listen", "secret-file"), List.of("insecure"));
    }

    private Path secretFile(String name, String content, String mode) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void anOwnerOnlySecretFileIsReadWithoutItsTrailingLineEnd() throws Exception {
        Path withNewline = secretFile("a", "0123456789abcdef0123\r\n", "rw-------");
        Path without = secretFile("b", "0123456789abcdef0123", "r--------");
        SessionSecret one = parse("--secret-file", withNewline.toString()).secret();
        SessionSecret two = parse("--secret-file", without.toString()).secret();
        assertArrayEquals(one.mac(TRANSCRIPT), two.mac(TRANSCRIPT));
        assertFalse(one.toString().contains("0123"), "the secret never shows in a log line");
        assertNull(parse().secret());
    }

    @Test
    void unsafeOrUnusableSecretFilesAreRefusedWithTheReason() throws Exception {
        Path readable = secretFile("readable", "0123456789abcdef0123", "rw-r--r--");
        Path groupWritable = secretFile("group", "0123456789abcdef0123", "rw--w----");
        Path shortOne = secretFile("short", "too short\n", "rw-------");
        assertRefused("brmr-server: --secret-file: " + readable + " is readable or writable by group or others "
                + "(rw-r--r--); chmod 600 it", readable);
        assertRefused("brmr-server: --secret-file: " + groupWritable + " is readable or writable by group or others "
                + "(rw--w----); chmod 600 it", groupWritable);
        assertRefused("brmr-server: --secret-file: " + shortOne + ": the secret is 9 bytes, it needs 16..4096",
                shortOne);
        assertRefused("brmr-server: --secret-file: " + dir + " is not a regular file", dir);
        assertRefused("brmr-server: --secret-file: " + dir.resolve("none") + " does not exist", dir.resolve("none"));
    }

    private static void assertRefused(String error, Path file) {
        DaemonOptions.UsageException refused = assertThrows(DaemonOptions.UsageException.class,
                () -> parse("--secret-file", file.toString()).secret());
        assertEquals(error, refused.getMessage());
    }

    @Test
    void withoutASecretOnlyLoopbackIsServedUnlessInsecure() throws Exception {
        InetSocketAddress everywhere = new InetSocketAddress("0.0.0.0", 7474);
        DaemonOptions.UsageException refused = assertThrows(DaemonOptions.UsageException.class,
                () -> parse().requireLoopbackOrSecret("listen", everywhere, null, TransportSecurity.PLAIN));
        assertEquals("brmr-server: --listen 0.0.0.0: a non-loopback address needs --secret-file or the --tls-* "
                + "credentials (or --insecure to let anyone on the network in)", refused.getMessage());
        assertDoesNotThrow(() -> parse().requireLoopbackOrSecret("listen", new InetSocketAddress("127.0.0.2", 7474),
                null, TransportSecurity.PLAIN));
        assertDoesNotThrow(() -> parse("--insecure").requireLoopbackOrSecret("listen", everywhere, null,
                TransportSecurity.PLAIN));
        SessionSecret secret = new SessionSecret(new byte[16]);
        assertDoesNotThrow(() -> parse().requireLoopbackOrSecret("listen", everywhere, secret,
                TransportSecurity.PLAIN));
        assertThrows(DaemonOptions.UsageException.class, () -> parse().requireLoopback("nbd", everywhere, "why"));
        assertTrue(parse("--insecure").flag("insecure"));
    }

    @Test
    void aFlagTakesNoValue() {
        DaemonOptions.UsageException refused = assertThrows(DaemonOptions.UsageException.class,
                () -> parse("--insecure=yes"));
        assertEquals("brmr-server: --insecure takes no value", refused.getMessage());
    }
}

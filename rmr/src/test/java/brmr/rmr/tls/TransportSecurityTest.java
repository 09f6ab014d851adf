package brmr.rmr.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransportSecurityTest {
    @TempDir
    Path dir;
    private TestCertificates certificates;

    @BeforeEach
    void certificates() throws Exception {
        certificates = TestCertificates.makeIn(dir);
    }

    @Test
    void theFilesOfOpensslMakeATlsContext() throws Exception {
        TransportSecurity security = certificates.node();
        assertTrue(security.isEnabled());
        assertEquals("TLSv1.3", security.toString());
        assertFalse(TransportSecurity.PLAIN.isEnabled());
    }

    @Test
    void aMissingFileIsRefusedNamingTheOption() {
        assertRefused("tls-cert", "no such file", file("absent.pem"), file("node-key.pem"), file("ca-cert.pem"));
        assertRefused("tls-key", "no such file", file("node-cert.pem"), file("absent.pem"), file("ca-cert.pem"));
        assertRefused("tls-ca", "no such file", file("node-cert.pem"), file("node-key.pem"), file("absent.pem"));
        assertRefused("tls-ca", "not a regular file", file("node-cert.pem"), file("node-key.pem"), dir);
    }

    @Test
    void aFileThatIsNotPemIsRefused() throws Exception {
        Path binary = Files.write(dir.resolve("disk.img"), new byte[] {0, (byte) 0xff, 7, 42});
        assertRefused("tls-cert", "not PEM", binary, file("node-key.pem"), file("ca-cert.pem"));
        assertRefused("tls-key", "not a PEM private key", file("node-cert.pem"), file("node-cert.pem"),
                file("ca-cert.pem"));
        assertRefused("tls-ca", "not a PEM certificate", file("node-cert.pem"), file("node-key.pem"),
                file("node-key.pem"));
        Path garbled = Files.writeString(dir.resolve("garbled.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertRefused("tls-cert", "not a valid X.509 certificate", garbled, file("node-key.pem"), file("ca-cert.pem"));
    }

    @Test
    void keysInOtherFormatsAreRefusedSayingHowToConvertThem() throws Exception {
        Path sec1 = dir.resolve("sec1.pem");
        openssl("ec", "-in", file("node-key.pem").toString(), "-out", sec1.toString());
        assertRefused("tls-key", "a SEC1 EC key, not PKCS#8; convert it with: openssl pkcs8 -topk8 -nocrypt",
                file("node-cert.pem"), sec1, file("ca-cert.pem"));
        Path encrypted = dir.resolve("encrypted.pem");
        openssl("pkcs8", "-topk8", "-in", file("node-key.pem").toString(), "-out", encrypted.toString(),
                "-passout", "pass:secret");
        assertRefused("tls-key", "an encrypted key", file("node-cert.pem"), encrypted, file("ca-cert.pem"));
        Path rsa = dir.resolve("rsa.pem");
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa.toString());
        Path pkcs1 = dir.resolve("pkcs1.pem");
        openssl("pkey", "-in", rsa.toString(), "-traditional", "-out", pkcs1.toString());
        assertRefused("tls-key", "a PKCS#1 RSA key, not PKCS#8", file("node-cert.pem"), pkcs1, file("ca-cert.pem"));
        Path legacyEncrypted = dir.resolve("legacy.pem");
        openssl("rsa", "-in", rsa.toString(), "-traditional", "-aes256", "-passout", "pass:secret", "-out",
                legacyEncrypted.toString());
        assertTrue(Files.readString(legacyEncrypted).contains("Proc-Type: 4,ENCRYPTED"), "a PEM block with headers");
        assertRefused("tls-key", "a PKCS#1 RSA key, not PKCS#8", file("node-cert.pem"), legacyEncrypted,
                file("ca-cert.pem"));
        assertRefused("tls-key", "does not match the certificate", file("node-cert.pem"), rsa, file("ca-cert.pem"));
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        assertRefused("tls-key", "does not match the certificate in " + file("node-cert.pem"),
                file("node-cert.pem"), file("client-key.pem"), file("ca-cert.pem"));
    }

    private void assertRefused(String option, String reason, Path certificate, Path key, Path ca) {
        TlsSetupException refused = assertThrows(TlsSetupException.class,
                () -> TransportSecurity.fromPem(certificate, key, ca));
        assertEquals(option, refused.option());
        assertTrue(refused.getMessage().startsWith("--" + option + ": "), refused.getMessage());
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
    }

    private Path file(String name) {
        return certificates.file(name);
    }

    private void openssl(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "openssl " + command);
    }
}

package brmr.rmr.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Throwaway credentials made by scripts/test-certs.sh (openssl); see there for the files it writes. */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes the credentials in {@code dir}; skips the calling test when openssl is not installed. */
    public static TestCertificates makeIn(Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed (Debian package openssl)");
        Path script = Path.of("..", "scripts", "test-certs.sh").toAbsolutePath().normalize();
        Process process = new ProcessBuilder("bash", script.toString(), dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir.toFile(), "test-certs.log")))
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(script + " did not finish within 60 s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(script + " failed: " + Files.readString(dir.resolve("test-certs.log")));
        }
        return new TestCertificates(dir);
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** A daemon's credentials: its node certificate and key, trusting the test CA. */
    public TransportSecurity node() throws TlsSetupException {
        return TransportSecurity.fromPem(file("node-cert.pem"), file("node-key.pem"), file("ca-cert.pem"));
    }

    /** A certificate another CA signed, which trusts the test CA itself. */
    public TransportSecurity rogue() throws TlsSetupException {
        return TransportSecurity.fromPem(file("rogue-cert.pem"), file("rogue-key.pem"), file("ca-cert.pem"));
    }
}

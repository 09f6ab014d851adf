package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Throwaway certificates from scripts/test-certs.sh, and the daemon options and client arguments that use them. */
final class TlsCredentials {
    private final Path dir;

    private TlsCredentials(Path dir) {
        this.dir = dir;
    }

    /** Makes the CA, node, NBD-client and rogue credentials in {@code dir}; skips the test without openssl. */
    static TlsCredentials makeIn(Path dir) throws Exception {
        Qemu.requireTools("openssl");
        Files.createDirectories(dir);
        CommandResult made = Commands.run(List.of("bash", Path.of("..", "scripts", "test-certs.sh").toString(),
                dir.toString()));
        assertEquals(0, made.exit(), made::toString);
        return new TlsCredentials(dir);
    }

    /** {@code --tls-cert/--tls-key/--tls-ca} of a daemon whose certificate the test CA signed. */
    String[] daemonOptions(String... more) {
        return options("node", more);
    }

    /** The same options with a certificate another CA signed (the daemon still trusts the test CA). */
    String[] rogueOptions(String... more) {
        return options("rogue", more);
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    /** libnbd's form: {@code nbds://HOST:PORT/EXPORT?tls-certificates=DIR} (ca-cert.pem, client-cert.pem, client-key.pem). */
    String libnbdUri(String nbdsUri) {
        return nbdsUri + "?tls-certificates=" + dir;
    }

    /** qemu-io over TLS with a tls-creds-x509 object reading the same directory; asserts it succeeded. */
    String qemuIo(String nbdsUri, String... commands) {
        URI uri = URI.create(nbdsUri);
        List<String> command = new ArrayList<>(List.of("qemu-io",
                "--object", "tls-creds-x509,id=tls0,dir=" + dir + ",endpoint=client",
                "--image-opts", "driver=nbd,host=" + uri.getHost() + ",port=" + uri.getPort() + ",export="
                        + uri.getPath().substring(1) + ",tls-creds=tls0"));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        return Qemu.succeeded(Commands.run(command));
    }

    private String[] options(String name, String... more) {
        List<String> options = new ArrayList<>(List.of("--tls-cert", file(name + "-cert.pem").toString(),
                "--tls-key", file(name + "-key.pem").toString(), "--tls-ca", file("ca-cert.pem").toString()));
        options.addAll(List.of(more));
        return options.toArray(String[]::new);
    }
}

package brmr.rmr.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM files with the JDK alone: X.509 certificates and unencrypted PKCS#8 private keys. */
final class PemFiles {
    /** PEM files are small; this bounds what a wrong path (e.g. a disk image) makes us read. */
    private static final long MAXIMUM_BYTES = 1 << 20;
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----",
            Pattern.DOTALL);
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA");

    /** One {@code -----BEGIN LABEL-----} block; its body is decoded only when it is used. */
    private record Block(String option, Path file, String label, String body) {
        byte[] der() throws TlsSetupException {
            try {
                return Base64.getMimeDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                throw new TlsSetupException(option, file + ": not PEM: bad base64 in a " + label + " block");
            }
        }
    }

    private PemFiles() {
    }

    /** Every {@code CERTIFICATE} block of the file, in order; at least one. */
    static List<X509Certificate> certificates(String option, Path file) throws TlsSetupException {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(option, file)) {
                if (block.label().equals("CERTIFICATE")) {
                    certificates.add((X509Certificate) factory.generateCertificate(
                            new ByteArrayInputStream(block.der())));
                }
            }
        } catch (CertificateException e) {
            throw new TlsSetupException(option, file + ": not a valid X.509 certificate: " + e.getMessage());
        }
        if (certificates.isEmpty()) {
            throw new TlsSetupException(option, file + ": not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
        }
        return certificates;
    }

    /** The one private key of the file, which must be unencrypted PKCS#8 ({@code openssl genpkey} writes that). */
    static PrivateKey privateKey(String option, Path file) throws TlsSetupException {
        String convert = "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out KEY.pem";
        for (Block block : blocks(option, file)) {
            switch (block.label()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(option, file, block.der());
                }
                case "RSA PRIVATE KEY" -> throw new TlsSetupException(option, file
                        + ": a PKCS#1 RSA key, not PKCS#8" + convert);
                case "EC PRIVATE KEY" -> throw new TlsSetupException(option, file
                        + ": a SEC1 EC key, not PKCS#8" + convert);
                case "ENCRYPTED PRIVATE KEY" -> throw new TlsSetupException(option, file
                        + ": an encrypted key; a daemon needs it unencrypted PKCS#8" + convert);
                default -> {
                    // other blocks (e.g. EC PARAMETERS before the key) are skipped
                }
            }
        }
        throw new TlsSetupException(option, file + ": not a PEM private key (no -----BEGIN PRIVATE KEY----- block)");
    }

    private static PrivateKey pkcs8(String option, Path file, byte[] der) throws TlsSetupException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException e) {
                // not this algorithm's key: try the next
            } catch (GeneralSecurityException e) {
                throw new TlsSetupException(option, file + ": cannot decode the key: " + e.getMessage());
            }
        }
        throw new TlsSetupException(option, file + ": not a PKCS#8 RSA, EC or EdDSA private key");
    }

    private static List<Block> blocks(String option, Path file) throws TlsSetupException {
        String text = read(option, file);
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            blocks.add(new Block(option, file, matcher.group(1), matcher.group(2)));
        }
        if (blocks.isEmpty()) {
            throw new TlsSetupException(option, file + ": not PEM (no -----BEGIN ...----- block)");
        }
        return blocks;
    }

    private static String read(String option, Path file) throws TlsSetupException {
        try {
            if (!Files.isRegularFile(file)) {
                throw new TlsSetupException(option, file + ": " + (Files.exists(file) ? "not a regular file"
                        : "no such file"));
            }
            if (Files.size(file) > MAXIMUM_BYTES) {
                throw new TlsSetupException(option, file + ": too large for a PEM file (over 1 MiB)");
            }
            // Latin-1 decodes any bytes, so a binary file is refused as not PEM rather than as unreadable
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(option, file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new TlsSetupException(option, file + ": cannot read it: permission denied");
        } catch (IOException e) {
            throw new TlsSetupException(option, file + ": cannot read it: " + e.getMessage());
        }
    }
}

package brmr.rmr.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a daemon's TCP connections are protected: {@link #PLAIN}, or TLS 1.3 with this daemon's certificate
 * and key, trusting only the certificates its CA signed. Wraps connected and accepted sockets and runs the
 * TLS handshake under a timeout, so a silent peer cannot hold the thread that waits for it.
 */
public final class TransportSecurity {
    /** How long a peer may take over the TLS handshake. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** No TLS: sockets are used as they are. */
    public static final TransportSecurity PLAIN = new TransportSecurity(null);
    private static final String PROTOCOL = "TLSv1.3";
    private static final String[] CIPHER_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256"};

    /** Whether the accepting side insists on a client certificate. */
    public enum ClientCertificate {
        /** Mutual TLS: a peer without a certificate signed by the CA is refused (RMR sessions). */
        REQUIRED,
        /** A certificate is verified against the CA when the client presents one (NBD clients). */
        VERIFIED_IF_PRESENTED
    }

    /** Null for {@link #PLAIN}. */
    private final SSLContext context;

    private TransportSecurity(SSLContext context) {
        this.context = context;
    }

    /**
     * TLS with the PEM files of {@code --tls-cert} (this daemon's certificate, then any intermediates),
     * {@code --tls-key} (its unencrypted PKCS#8 key) and {@code --tls-ca} (the CA certificates peers must chain to).
     *
     * @throws TlsSetupException a file is missing, unreadable or not PEM, or the key does not match the certificate
     */
    public static TransportSecurity fromPem(Path certificate, Path key, Path ca) throws TlsSetupException {
        List<X509Certificate> chain = PemFiles.certificates("tls-cert", certificate);
        PrivateKey privateKey = PemFiles.privateKey("tls-key", key);
        List<X509Certificate> authorities = PemFiles.certificates("tls-ca", ca);
        checkValidity("tls-cert", certificate, chain.getFirst());
        checkMatch(key, privateKey, certificate, chain.getFirst().getPublicKey());
        try {
            KeyStore own = KeyStore.getInstance("PKCS12");
            own.load(null, null);
            own.setKeyEntry("brmr", privateKey, new char[0], chain.toArray(X509Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(own, new char[0]);
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                trusted.setCertificateEntry("ca" + i, authorities.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            return new TransportSecurity(context);
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsSetupException("tls-cert", certificate + ": cannot build a TLS context from it: "
                    + e.getMessage());
        }
    }

    public boolean isEnabled() {
        return context != null;
    }

    /**
     * The connecting side over {@code socket}, connected to {@code peer}: TLS checks that the peer's certificate
     * chains to the CA and names {@code peer}'s host (IP or DNS subject alternative name). Closes the socket
     * when the handshake fails.
     */
    public Socket connected(Socket socket, InetSocketAddress peer) throws IOException {
        if (context == null) {
            return socket;
        }
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, peer.getHostString(),
                peer.getPort(), true);
        SSLParameters parameters = parameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(parameters);
        tls.setUseClientMode(true);
        return handshake(tls, peer.getHostString() + ":" + peer.getPort());
    }

    /** The accepting side over {@code socket}; closes the socket when the handshake fails. */
    public Socket accepted(Socket socket, ClientCertificate clientCertificate) throws IOException {
        if (context == null) {
            return socket;
        }
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
        SSLParameters parameters = parameters();
        if (clientCertificate == ClientCertificate.REQUIRED) {
            parameters.setNeedClientAuth(true);
        } else {
            parameters.setWantClientAuth(true);
        }
        tls.setSSLParameters(parameters);
        tls.setUseClientMode(false);
        return handshake(tls, String.valueOf(socket.getRemoteSocketAddress()));
    }

    @Override
    public String toString() {
        return context == null ? "plain TCP" : PROTOCOL;
    }

    private SSLParameters parameters() {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {PROTOCOL});
        // AES-128 first: 10 rounds instead of AES-256's 14 on every byte of the data path
        parameters.setCipherSuites(CIPHER_SUITES);
        parameters.setUseCipherSuitesOrder(true);
        return parameters;
    }

    private static Socket handshake(SSLSocket tls, String peer) throws IOException {
        try {
            int previous = tls.getSoTimeout();
            tls.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
            tls.startHandshake();
            tls.setSoTimeout(previous);
            return tls;
        } catch (IOException e) {
            tls.close();
            throw new IOException("TLS handshake with " + peer + " failed: " + e.getMessage(), e);
        }
    }

    private static void checkValidity(String option, Path file, X509Certificate certificate)
            throws TlsSetupException {
        try {
            certificate.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new TlsSetupException(option, file + ": the certificate expired on " + certificate.getNotAfter());
        } catch (CertificateNotYetValidException e) {
            throw new TlsSetupException(option, file + ": the certificate is not valid before "
                    + certificate.getNotBefore());
        }
    }

    /** Signs with the key and verifies with the certificate: a key of another certificate fails here, not in a peer. */
    private static void checkMatch(Path keyFile, PrivateKey key, Path certificateFile, PublicKey publicKey)
            throws TlsSetupException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "brmr key check".getBytes(StandardCharsets.US_ASCII);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new TlsSetupException("tls-key", keyFile + ": does not match the certificate in " + certificateFile);
        }
    }
}

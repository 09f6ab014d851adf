package brmr.admin.daemon;

import brmr.rmr.SessionSecret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The file behind {@code --secret-file}: read once at start, and only when no one but the daemon's own
 * user can read or change it. Its bytes are the secret, without trailing line ends, so that
 * {@code openssl rand -hex 32 > FILE} and an editor that adds a newline give the same secret.
 */
final class SecretFile {
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private SecretFile() {
    }

    /** @throws IllegalArgumentException one line saying why the file is refused */
    static SessionSecret read(Path file) {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read: " + e.getMessage());
        }
        if (!attributes.isRegularFile()) {
            throw new IllegalArgumentException(file + " is not a regular file");
        }
        String user = System.getProperty("user.name");
        if (!attributes.owner().getName().equals(user)) {
            throw new IllegalArgumentException(file + " is owned by " + attributes.owner().getName() + ", not by "
                    + user + " who runs this daemon");
        }
        Set<PosixFilePermission> exposed = EnumSet.noneOf(PosixFilePermission.class);
        exposed.addAll(attributes.permissions());
        exposed.retainAll(OTHERS);
        if (!exposed.isEmpty()) {
            throw new IllegalArgumentException(file + " is readable or writable by group or others ("
                    + PosixFilePermissions.toString(attributes.permissions()) + "); chmod 600 it");
        }
        if (attributes.size() > SessionSecret.MAX_BYTES + 2) {
            throw new IllegalArgumentException(file + " holds " + attributes.size() + " bytes, a secret has at most "
                    + SessionSecret.MAX_BYTES);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read: " + e.getMessage());
        }
        int length = bytes.length;
        while (length > 0 && (bytes[length - 1] == '\n' || bytes[length - 1] == '\r')) {
            length--;
        }
        byte[] secret = Arrays.copyOf(bytes, length);
        Arrays.fill(bytes, (byte) 0);
        try {
            return new SessionSecret(secret);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }
}

package brmr.admin.daemon;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A daemon's state directory and log file. A directory the daemon creates is owner-only; one that
 * already exists is the operator's, so it is never chmod-ed, only refused when others may write to it.
 */
public final class StateDirectory {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> LOG_FILE = PosixFilePermissions.fromString("rw-r-----");

    private StateDirectory() {
    }

    /**
     * Creates {@code dir} owner-only when it is missing; refuses an existing one that is not a
     * directory or that group or others may write to.
     *
     * @throws IOException one line naming {@code --state-dir} and the reason
     */
    public static void prepare(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, OWNER_ONLY);
                return;
            } catch (FileAlreadyExistsException e) {
                // created by someone else meanwhile: checked below like any existing directory
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("--state-dir " + dir + ": exists and is not a directory");
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(dir);
        if (permissions.contains(PosixFilePermission.GROUP_WRITE) || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("--state-dir " + dir + ": group or others may write to it ("
                    + PosixFilePermissions.toString(permissions) + "), so they could replace its socket or log; "
                    + "use a directory only its owner may write to");
        }
    }

    /** Creates the log file readable by owner and group only (0640), or makes an existing one so; returns it. */
    public static Path logFile(Path dir, String program) throws IOException {
        Path log = dir.resolve(program + ".log");
        if (Files.isSymbolicLink(log) || (Files.exists(log) && !Files.isRegularFile(log))) {
            throw new IOException("log file " + log + ": exists and is not a regular file");
        }
        if (!Files.exists(log)) {
            try {
                Files.createFile(log, PosixFilePermissions.asFileAttribute(LOG_FILE));
            } catch (FileAlreadyExistsException e) {
                // another process created it: set its permissions below
            }
        }
        Files.setPosixFilePermissions(log, LOG_FILE);
        return log;
    }
}

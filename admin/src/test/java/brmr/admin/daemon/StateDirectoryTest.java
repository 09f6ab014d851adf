package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void aMissingDirectoryIsCreatedOwnerOnly() throws IOException {
        Path dir = tmp.resolve("a/b/state");
        StateDirectory.prepare(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void anExistingDirectoryKeepsItsPermissions() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("shared-read"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        StateDirectory.prepare(dir);
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void aDirectoryOthersMayWriteToIsRefusedAndLeftAsItWas() throws IOException {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwx---", "rwx----w-"}) {
            Path dir = Files.createDirectory(tmp.resolve("open-" + mode.hashCode()));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            IOException refused = assertThrows(IOException.class, () -> StateDirectory.prepare(dir));
            assertEquals("--state-dir " + dir + ": group or others may write to it (" + mode + "), so they could "
                    + "replace its socket or log; use a directory only its owner may write to", refused.getMessage());
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        }
    }

    @Test
    void aFileInPlaceOfTheDirectoryIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        IOException refused = assertThrows(IOException.class, () -> StateDirectory.prepare(file));
        assertEquals("--state-dir " + file + ": exists and is not a directory", refused.getMessage());
    }

    @Test
    void theLogFileIsReadableByOwnerAndGroupOnly() throws IOException {
        Path log = StateDirectory.logFile(tmp, "brmr-server");
        assertEquals(tmp.resolve("brmr-server.log"), log);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        StateDirectory.logFile(tmp, "brmr-server");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
    }
}

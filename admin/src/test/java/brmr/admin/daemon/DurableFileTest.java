package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** A replace stopped between any two of its steps, as a kill would stop it, leaves the old or the new file whole. */
class DurableFileTest {
    private static final byte[] OLD = "old journal".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NEW = "the new, longer journal".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(DurableFile.Step.class)
    void aKillBetweenStepsLeavesTheOldOrTheNewContent(DurableFile.Step killedAt) throws Exception {
        Path path = dir.resolve("journal.json");
        new DurableFile(path).replace(OLD);
        DurableFile killed = new DurableFile(path, step -> {
            if (step == killedAt) {
                throw new IOException("killed at " + step);
            }
        });
        assertThrows(IOException.class, () -> killed.replace(NEW));
        byte[] after = Files.readAllBytes(path);
        assertArrayEquals(killedAt == DurableFile.Step.RENAMED ? NEW : OLD, after, "killed at " + killedAt);

        // the daemon that starts after the kill saves over whatever temporary file was left
        new DurableFile(path).replace(NEW);
        assertArrayEquals(NEW, Files.readAllBytes(path));
        assertFalse(Files.exists(dir.resolve("journal.json.tmp")), "nothing is left beside the file");
    }

    @Test
    void aReplaceOfAFileThatDoesNotExistCreatesIt() throws Exception {
        Path path = dir.resolve("journal.json");
        new DurableFile(path).replace(NEW);
        assertArrayEquals(NEW, Files.readAllBytes(path));
        assertEquals(1, Files.list(dir).count());
    }
}

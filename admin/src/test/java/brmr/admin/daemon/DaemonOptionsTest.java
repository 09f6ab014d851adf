package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.metadata.BitmapWrites;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonOptionsTest {
    private static final List<String> NAMES = List.of("state-dir", DaemonOptions.MAX_MEMORY.name());

    @Test
    void maxMemoryTakesWhatTheLauncherTurnsIntoAHeapCap() throws Exception {
        for (String size : List.of("1g", "512m", "2G", "65536k")) {
            DaemonOptions options = DaemonOptions.parse("brmr-server", new String[] {"--max-memory", size}, NAMES, List.of());
            assertDoesNotThrow(options::checkMaxMemory);
        }
        for (String size : List.of("1", "0g", "1.5g", "1gb", "-1g", "lots")) {
            DaemonOptions options = DaemonOptions.parse("brmr-server", new String[] {"--max-memory=" + size}, NAMES, List.of());
            DaemonOptions.UsageException refused = assertThrows(DaemonOptions.UsageException.class,
                    options::checkMaxMemory);
            assertEquals("brmr-server: --max-memory: '" + size + "' is not a size such as 512m or 2g",
                    refused.getMessage());
        }
    }

    @Test
    void bitmapWritesComeFromTheSystemPropertyAndAnUnknownWordIsRefused() throws Exception {
        DaemonOptions options = DaemonOptions.parse("brmr-server", new String[0], NAMES, List.of());
        String before = System.getProperty(DaemonOptions.BITMAP_WRITES);
        try {
            System.clearProperty(DaemonOptions.BITMAP_WRITES);
            assertEquals(BitmapWrites.DEFAULT, options.bitmapWrites());
            for (BitmapWrites mode : BitmapWrites.values()) {
                System.setProperty(DaemonOptions.BITMAP_WRITES, mode.label());
                assertEquals(mode, options.bitmapWrites());
            }
            System.setProperty(DaemonOptions.BITMAP_WRITES, "MMAP");
            assertEquals("brmr-server: -Dbrmr.bitmap-writes: 'MMAP' is not auto, mmap or dsync",
                    assertThrows(DaemonOptions.UsageException.class, options::bitmapWrites).getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(DaemonOptions.BITMAP_WRITES);
            } else {
                System.setProperty(DaemonOptions.BITMAP_WRITES, before);
            }
        }
    }

    @Test
    void usageListsMaxMemory() {
        String usage = DaemonOptions.usage("brmr-client", "summary", List.of());
        assertTrue(usage.contains("--max-memory SIZE"), usage);
    }
}

package brmr.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShellWordsTest {
    @Test
    void splitsTheRunbookLinesLikeAShell() {
        assertEquals(List.of("echo", "device=/dev/loop0 pool=p1 mapped_size=204800", ">",
                        "/sys/devices/virtual/brmr-server/ctl/add_store"),
                ShellWords.split("echo 'device=/dev/loop0 pool=p1 mapped_size=204800' > /sys/devices/virtual/brmr-server/ctl/add_store"));
        assertEquals(List.of("echo", "1", ">", "/sys/class/brmr-server/stores/p1/remove_store"),
                ShellWords.split("echo 1 >/sys/class/brmr-server/stores/p1/remove_store"));
        assertEquals(List.of("echo", "a \"b\" c", ">", "x"), ShellWords.split("echo \"a \\\"b\\\" c\">x"));
        assertEquals(List.of("cat", "a b"), ShellWords.split("cat a\\ b"));
        assertEquals(List.of("echo", "", ">", "f"), ShellWords.split("echo '' > f"));
    }

    @Test
    void refusesAnOpenQuote() {
        assertEquals("unterminated ' quote",
                assertThrows(IllegalArgumentException.class, () -> ShellWords.split("echo 'abc > f")).getMessage());
    }
}

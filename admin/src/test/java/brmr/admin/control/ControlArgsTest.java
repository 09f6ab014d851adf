package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ControlArgsTest {
    private static final List<String> REQUIRED = List.of("device", "pool");
    private static final List<String> OPTIONAL = List.of("mode");

    private static ControlArgs parse(String text) throws ControlException {
        return ControlArgs.parse("add_store", text, REQUIRED, OPTIONAL);
    }

    private static String error(String text) {
        return assertThrows(ControlException.class, () -> parse(text)).getMessage();
    }

    @Test
    void takesFieldsInAnyOrderWithSurroundingWhitespaceAndNewline() throws ControlException {
        ControlArgs args = parse("  pool=p1\tdevice=/dev/loop0 \n");
        assertEquals("/dev/loop0", args.text("device"));
        assertEquals("p1", args.name("pool"));
        assertEquals(Optional.empty(), args.optionalText("mode"));
    }

    @Test
    void refusesEachMalformedInputNamingTheField() {
        assertEquals("add_store: no arguments given; expected device= pool= [mode=]", error(" \n"));
        assertEquals("pool: missing; add_store needs device= pool= [mode=]", error("device=/d"));
        assertEquals("size: unknown field for add_store; expected device= pool= [mode=]", error("device=/d pool=p size=1"));
        assertEquals("pool: given twice", error("device=/d pool=p pool=q"));
        assertEquals("add_store: 'junk' is not of the form field=value; expected device= pool= [mode=]",
                error("device=/d junk pool=p"));
        assertEquals("device: empty value", error("device= pool=p"));
    }

    @Test
    void numbersAreWholeAndInRange() throws ControlException {
        assertEquals(42, ControlArgs.parseNumber("n", "42", 1, 100));
        assertEquals("n: 'x1' is not a whole number",
                assertThrows(ControlException.class, () -> ControlArgs.parseNumber("n", "x1", 1, 100)).getMessage());
        assertEquals("n: 0 is out of range 1..100",
                assertThrows(ControlException.class, () -> ControlArgs.parseNumber("n", "0", 1, 100)).getMessage());
        assertEquals("n: 101 is out of range 1..100",
                assertThrows(ControlException.class, () -> ControlArgs.parseNumber("n", "101", 1, 100)).getMessage());
    }

    @Test
    void namesAreSafePathComponents() throws ControlException {
        assertEquals("pool-1.a_b", ControlArgs.checkName("pool", "pool-1.a_b"));
        for (String bad : List.of("a/b", "..x/", "p 1", "x".repeat(65), "p\u00e9")) {
            assertThrows(ControlException.class, () -> ControlArgs.checkName("pool", bad), bad);
        }
    }

    @Test
    void sessionNamesAreAnyPrintableStringWithoutSlashUpTo255Bytes() throws ControlException {
        assertEquals("psrv0@stg-rmr0", ControlArgs.checkSessionName("sessname", "psrv0@stg-rmr0"));
        String longest = "stg-rmr0@stg-rmr1:" + "ü".repeat(118) + "x";
        assertEquals(255, longest.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertEquals(longest, ControlArgs.checkSessionName("sessname", longest));
        assertEquals("sessname: '" + longest + "x' is 256 bytes; a session name must be 1 to 255 bytes of printable "
                + "characters without '/'", assertThrows(ControlException.class,
                        () -> ControlArgs.checkSessionName("sessname", longest + "x")).getMessage());
        assertEquals("sessname: 'a/b' holds '/'; a session name must be 1 to 255 bytes of printable characters "
                + "without '/'", assertThrows(ControlException.class,
                        () -> ControlArgs.checkSessionName("sessname", "a/b")).getMessage());
        for (String bad : List.of("", ".", "..", "a\u0007b", "a\u200eb", "a b")) {
            assertThrows(ControlException.class, () -> ControlArgs.checkSessionName("sessname", bad), bad);
        }
        assertEquals("psrv0@stg-rmr1", ControlArgs.parse("add_sess", "sessname=psrv0@stg-rmr1 path=ip:10.0.0.1",
                List.of("sessname", "path"), List.of()).sessionName("sessname"));
    }

    @Test
    void choicesAndTriggers() throws ControlException {
        assertEquals(Optional.of("replace"), parse("device=/d pool=p mode=replace").optionalChoice("mode", "add", "replace"));
        assertEquals("mode: 'x' is not one of add, replace", assertThrows(ControlException.class,
                () -> parse("device=/d pool=p mode=x").optionalChoice("mode", "add", "replace")).getMessage());
        ControlArgs.requireOne("remove_store", "1\n");
        assertEquals("remove_store: write 1 to trigger it (got '0')",
                assertThrows(ControlException.class, () -> ControlArgs.requireOne("remove_store", "0")).getMessage());
    }
}

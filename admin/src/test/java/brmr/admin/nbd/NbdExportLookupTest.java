package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NbdExportLookupTest {
    private final NbdExport a = new ByteArrayExport("a", 4096);
    private final NbdExport b = new ByteArrayExport("b", 4096);

    @Test
    void exactNameWins() {
        ExportLookup lookup = () -> List.of(a, b);
        assertEquals(Optional.of(b), lookup.find("b"));
        assertEquals(Optional.empty(), lookup.find("c"));
    }

    @Test
    void anAliasFindsItsExportButNeverShadowsAnExportsOwnName() {
        NbdExport device = new ByteArrayExport("brmr0", 4096).aliases("p1", "b");
        ExportLookup lookup = () -> List.of(device, b);
        assertEquals(Optional.of(device), lookup.find("brmr0"));
        assertEquals(Optional.of(device), lookup.find("p1"));
        assertEquals(Optional.of(b), lookup.find("b"));
        assertEquals(Optional.of(device), ((ExportLookup) () -> List.of(device)).find(""));
    }

    @Test
    void emptyNameMeansTheOnlyExport() {
        ExportLookup lookup = () -> List.of(a);
        assertEquals(Optional.of(a), lookup.find(""));
    }

    @Test
    void emptyNameIsAmbiguousWithSeveralExports() {
        ExportLookup lookup = () -> List.of(a, b);
        assertEquals(Optional.empty(), lookup.find(""));
    }

    @Test
    void exportNamedEmptyIsPreferredOverTheDefault() {
        NbdExport unnamed = new ByteArrayExport("", 4096);
        ExportLookup lookup = () -> List.of(a, unnamed);
        assertEquals(Optional.of(unnamed), lookup.find(""));
    }

    @Test
    void noExportsFindsNothing() {
        ExportLookup lookup = List::of;
        assertEquals(Optional.empty(), lookup.find(""));
    }
}

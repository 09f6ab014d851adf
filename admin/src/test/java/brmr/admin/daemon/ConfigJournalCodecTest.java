package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The journal file's JSON: what is written reads back the same; anything else is refused by name. */
class ConfigJournalCodecTest {
    static final List<JournalEntry> ENTRIES = List.of(
            new JournalEntry(JournalEntry.Kind.POOL, "rmr-server/pools/p1", "rmr-server/ctl/join_pool",
                    "poolname=p1 member_id=42 chunk_size=131072"),
            new JournalEntry(JournalEntry.Kind.SESSION, "rmr-client/pools/p1/sessions/stg-rmr0@stg-rmr1",
                    "rmr-client/pools/p1/add_sess", "sessname=stg-rmr0@stg-rmr1 path=ip:127.0.0.3"),
            new JournalEntry(JournalEntry.Kind.STORE, "brmr-server/stores/p1", "brmr-server/ctl/add_store",
                    "device=/dev/sda pool=p1 mapped_size=204800 mode=add"),
            new JournalEntry(JournalEntry.Kind.ENABLE, "rmr-client/pools/p1/pool_enable",
                    "rmr-client/pools/p1/pool_enable", "1"));

    @Test
    void entriesReadBackAsWritten() throws Exception {
        assertEquals(ENTRIES, ConfigJournalCodec.decode(ConfigJournalCodec.encode(ENTRIES)));
        assertEquals(List.of(), ConfigJournalCodec.decode(ConfigJournalCodec.encode(List.of())));
    }

    @Test
    void theFileNamesItsVersion() {
        String text = new String(ConfigJournalCodec.encode(ENTRIES), StandardCharsets.UTF_8);
        assertEquals(true, text.contains("\"version\" : 1"), text);
    }

    @Test
    void aBadFileIsRefusedWithTheReason() {
        assertRefused("{\"version\":1,\"entries\":[", "not JSON: ");
        assertRefused("", "not JSON: ");
        assertRefused("[1,2]", "not a JSON object");
        assertRefused("{\"version\":2,\"entries\":[]}", "version 2 is not 1");
        assertRefused("{\"version\":1.5,\"entries\":[]}", "version 1.5 is not 1");
        assertRefused("{\"entries\":[]}", "version null is not 1");
        assertRefused("{\"version\":1}", "entries: missing or not a list");
        assertRefused("{\"version\":1,\"entries\":[7]}", "entries[0]: not an object");
        assertRefused("{\"version\":1,\"entries\":[{\"kind\":\"disk\",\"key\":\"k\",\"path\":\"p\",\"value\":\"v\"}]}",
                "entries[0].kind: 'disk' is unknown");
        assertRefused("{\"version\":1,\"entries\":[{\"kind\":\"pool\",\"key\":\"k\",\"value\":\"v\"}]}",
                "entries[0].path: missing or not a string");
        assertRefused("{\"version\":1,\"entries\":[{\"kind\":\"pool\",\"key\":\"\",\"path\":\"p\",\"value\":\"v\"}]}",
                "entries[0]: empty key or path");
    }

    private static void assertRefused(String text, String reason) {
        ConfigJournalCodec.FormatException e = assertThrows(ConfigJournalCodec.FormatException.class,
                () -> ConfigJournalCodec.decode(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, e.getMessage().startsWith(reason), e.getMessage());
    }
}

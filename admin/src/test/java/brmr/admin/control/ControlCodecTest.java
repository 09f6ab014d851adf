package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlCodecTest {
    @Test
    void requestsAndResponsesRoundTrip() throws ControlException {
        var request = new ControlCodec.Request("write", "brmr-server/ctl/create_store",
                "device=/dev/loop0 pool=p1 mapped_size=204800\n\"quoted\" \u00e9");
        assertEquals(request, ControlCodec.decodeRequest(ControlCodec.encode(request)));
        var read = new ControlCodec.Request("status", null, null);
        assertEquals(read, ControlCodec.decodeRequest(ControlCodec.encode(read)));
        var ok = ControlCodec.Response.success("open\nmapped");
        assertEquals(ok, ControlCodec.decodeResponse(ControlCodec.encode(ok)));
        var failed = ControlCodec.Response.failure("pool: no store for pool p1 on this node");
        assertEquals(failed, ControlCodec.decodeResponse(ControlCodec.encode(failed)));
    }

    @Test
    void everyMessageIsOneLineCarryingTheVersion() {
        String line = ControlCodec.encode(new ControlCodec.Request("write", "a", "x\ny"));
        assertEquals(1, line.lines().count());
        assertEquals(true, line.contains("\"v\":1"));
    }

    @Test
    void refusesOtherVersionsAndMalformedMessages() {
        assertEquals("v: control protocol version 2 is not 1", assertThrows(ControlException.class,
                () -> ControlCodec.decodeRequest("{\"v\":2,\"op\":\"read\"}")).getMessage());
        assertEquals("v: control protocol version null is not 1", assertThrows(ControlException.class,
                () -> ControlCodec.decodeRequest("{\"op\":\"read\"}")).getMessage());
        assertEquals("op: missing", assertThrows(ControlException.class,
                () -> ControlCodec.decodeRequest("{\"v\":1}")).getMessage());
        assertEquals("path: must be a string", assertThrows(ControlException.class,
                () -> ControlCodec.decodeRequest("{\"v\":1,\"op\":\"read\",\"path\":3}")).getMessage());
        assertThrows(ControlException.class, () -> ControlCodec.decodeRequest("not json"));
        assertThrows(ControlException.class, () -> ControlCodec.decodeResponse("{\"v\":1}"));
    }

    /** Quotes, backslashes, control characters, line separators and characters outside the BMP. */
    private static final String AWKWARD = "a \"quoted\" \\path\\ \t\r\n\u0001\u001f \u2028 é € \uD83D\uDE00 </script>";

    @Test
    void whatItWritesIsJsonAnyReaderReads() throws Exception {
        String line = ControlCodec.encode(new ControlCodec.Request("write", "p/" + AWKWARD, AWKWARD));
        assertEquals(1, line.lines().count(), line);
        Map<String, Object> json = JSON.std.mapFrom(line);
        assertEquals(Map.of("v", 1, "op", "write", "path", "p/" + AWKWARD, "value", AWKWARD), json);
        assertEquals(AWKWARD, JSON.std.mapFrom(ControlCodec.encode(ControlCodec.Response.success(AWKWARD)))
                .get("output"));
    }

    @Test
    void itReadsWhatAJsonWriterWrites() throws Exception {
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("v", 1);
        response.put("ok", true);
        response.put("output", AWKWARD);
        assertEquals(ControlCodec.Response.success(AWKWARD), ControlCodec.decodeResponse(JSON.std.asString(response)));
        assertEquals(new ControlCodec.Request("read", AWKWARD, null), ControlCodec.decodeRequest(
                " { \"v\" : 1.0 , \"op\":\"read\", \"path\":\"" + AWKWARD.replace("\\", "\\\\").replace("\"", "\\\"")
                        .replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n").replace("\u0001", "\\u0001")
                        .replace("\u001f", "\\u001F") + "\", \"value\": null } "));
    }
}

package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.admin.events.StateEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlCodecEventsTest {
    @Test
    void anEventRoundTripsWithItsIdsAndFieldsInOrder() throws ControlException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("state", "normal");
        fields.put("member", "42");
        StateEvent event = new StateEvent(Instant.parse("2026-11-28T16:01:02.345Z"), StateEvent.Type.CHANGE,
                "session", List.of("name", "psrv0@stg-rmr0", "pool", "ionos_pool"), fields);
        String line = ControlCodec.encode(event);
        assertEquals(1, line.lines().count());
        StateEvent decoded = ControlCodec.decodeEvent(line);
        assertEquals(event, decoded);
        assertEquals(List.of("state", "member"), List.copyOf(decoded.fields().keySet()));
    }

    @Test
    void aRefusedEventsRequestIsReportedAsTheDaemonWorded() {
        String refusal = ControlCodec.encode(ControlCodec.Response.failure("op: this daemon streams no events"));
        assertEquals("events: op: this daemon streams no events", assertThrows(ControlException.class,
                () -> ControlCodec.decodeEvent(refusal)).getMessage());
    }

    @Test
    void malformedEventsAreRefusedByField() {
        assertEquals("type: 'boom' is not an event type", assertThrows(ControlException.class,
                () -> ControlCodec.decodeEvent("{\"v\":1,\"event\":{\"type\":\"boom\",\"time\":\"2026-11-28T16:00:00Z\","
                        + "\"kind\":\"pool\",\"ids\":{},\"fields\":{}}}")).getMessage());
        assertEquals("fields: state must be a string", assertThrows(ControlException.class,
                () -> ControlCodec.decodeEvent("{\"v\":1,\"event\":{\"type\":\"change\",\"time\":\"2026-11-28T16:00:00Z\","
                        + "\"kind\":\"pool\",\"ids\":{},\"fields\":{\"state\":1}}}")).getMessage());
        assertEquals("event: missing", assertThrows(ControlException.class,
                () -> ControlCodec.decodeEvent("{\"v\":1}")).getMessage());
    }
}

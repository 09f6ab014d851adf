package brmr.admin.control;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The control-socket wire format: one JSON object per line, each carrying the format version. */
public final class ControlCodec {
    public static final int VERSION = 1;

    /** What brmrctl asks: {@code op} is read, write, list or status. */
    public record Request(String op, String path, String value) {
    }

    /** What the daemon answers: output on success, a one-line error otherwise. */
    public record Response(boolean ok, String output, String error) {
        public static Response success(String output) {
            return new Response(true, output, null);
        }

        public static Response failure(String error) {
            return new Response(false, null, error);
        }
    }

    private ControlCodec() {
    }

    public static String encode(Request request) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("v", VERSION);
        json.put("op", request.op());
        if (request.path() != null) {
            json.put("path", request.path());
        }
        if (request.value() != null) {
            json.put("value", request.value());
        }
        return line(json);
    }

    public static Request decodeRequest(String line) throws ControlException {
        Map<String, Object> json = parse(line);
        return new Request(string(json, "op", true), string(json, "path", false), string(json, "value", false));
    }

    public static String encode(Response response) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("v", VERSION);
        json.put("ok", response.ok());
        json.put(response.ok() ? "output" : "error", response.ok() ? response.output() : response.error());
        return line(json);
    }

    public static Response decodeResponse(String line) throws ControlException {
        Map<String, Object> json = parse(line);
        if (!(json.get("ok") instanceof Boolean ok)) {
            throw new ControlException("response", "has no 'ok' field");
        }
        return ok ? Response.success(string(json, "output", false)) : Response.failure(string(json, "error", true));
    }

    private static String line(Map<String, Object> json) {
        try {
            return JSON.std.asString(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + json, e);
        }
    }

    private static Map<String, Object> parse(String line) throws ControlException {
        Map<String, Object> json;
        try {
            json = JSON.std.mapFrom(line);
        } catch (IOException e) {
            throw new ControlException("request", "not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (json == null) {
            throw new ControlException("request", "empty");
        }
        if (!(json.get("v") instanceof Number version) || version.intValue() != VERSION) {
            throw new ControlException("v", "control protocol version " + json.get("v") + " is not " + VERSION);
        }
        return json;
    }

    private static String string(Map<String, Object> json, String key, boolean required) throws ControlException {
        Object value = json.get(key);
        if (value == null) {
            if (required) {
                throw new ControlException(key, "missing");
            }
            return null;
        }
        if (!(value instanceof String text)) {
            throw new ControlException(key, "must be a string");
        }
        return text;
    }
}

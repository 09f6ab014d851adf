package brmr.admin.control;

import brmr.rmr.protocol.RmrCodec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code key=value key=value} arguments written to a control file, checked against the fields
 * the file takes: unknown, duplicated, missing, malformed and empty fields are refused by name.
 */
public final class ControlArgs {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Map<String, String> values;

    private ControlArgs(Map<String, String> values) {
        this.values = values;
    }

    public static ControlArgs parse(String file, String text, List<String> required, List<String> optional)
            throws ControlException {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new ControlException(file, "no arguments given; expected " + expected(required, optional));
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String token : trimmed.split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new ControlException(file, "'" + token + "' is not of the form field=value; expected "
                        + expected(required, optional));
            }
            String key = token.substring(0, eq);
            String value = token.substring(eq + 1);
            if (!required.contains(key) && !optional.contains(key)) {
                throw new ControlException(key, "unknown field for " + file + "; expected "
                        + expected(required, optional));
            }
            if (values.containsKey(key)) {
                throw new ControlException(key, "given twice");
            }
            if (value.isEmpty()) {
                throw new ControlException(key, "empty value");
            }
            values.put(key, value);
        }
        for (String key : required) {
            if (!values.containsKey(key)) {
                throw new ControlException(key, "missing; " + file + " needs " + expected(required, optional));
            }
        }
        return new ControlArgs(values);
    }

    private static String expected(List<String> required, List<String> optional) {
        StringBuilder text = new StringBuilder();
        for (String key : required) {
            text.append(text.isEmpty() ? "" : " ").append(key).append('=');
        }
        for (String key : optional) {
            text.append(text.isEmpty() ? "" : " ").append('[').append(key).append("=]");
        }
        return text.toString();
    }

    public String text(String key) {
        return values.get(key);
    }

    public Optional<String> optionalText(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** A pool or session name: it becomes a path component, so only a safe alphabet is taken. */
    public String name(String key) throws ControlException {
        return checkName(key, text(key));
    }

    public static String checkName(String key, String value) throws ControlException {
        if (!NAME.matcher(value).matches()) {
            throw new ControlException(key, "'" + value + "' must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return value;
    }

    /** A session name: any printable string without '/' (e.g. upstream's {@code psrv0@stg-rmr0}). */
    public String sessionName(String key) throws ControlException {
        return checkSessionName(key, text(key));
    }

    public static String checkSessionName(String key, String value) throws ControlException {
        String rule = "must be 1 to " + RmrCodec.MAX_SESSION_NAME_BYTES
                + " bytes of printable characters without '/'";
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > RmrCodec.MAX_SESSION_NAME_BYTES) {
            throw new ControlException(key, "'" + value + "' is " + bytes + " bytes; a session name " + rule);
        }
        if (value.equals(".") || value.equals("..")) {
            throw new ControlException(key, "'" + value + "' names a directory; a session name " + rule);
        }
        int bad = value.codePoints().filter(c -> c == '/' || !printable(c)).findFirst().orElse(-1);
        if (bad >= 0) {
            String what = bad == '/' ? "'/'" : String.format("U+%04X", bad);
            throw new ControlException(key, "'" + value + "' holds " + what + "; a session name " + rule);
        }
        return value;
    }

    private static boolean printable(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.SURROGATE,
                    Character.PRIVATE_USE, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    /** A whole number in {@code [min, max]}. */
    public long number(String key, long min, long max) throws ControlException {
        return parseNumber(key, text(key), min, max);
    }

    public Optional<Long> optionalNumber(String key, long min, long max) throws ControlException {
        return values.containsKey(key) ? Optional.of(number(key, min, max)) : Optional.empty();
    }

    public static long parseNumber(String key, String value, long min, long max) throws ControlException {
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ControlException(key, "'" + value + "' is not a whole number");
        }
        if (number < min || number > max) {
            throw new ControlException(key, number + " is out of range " + min + ".." + max);
        }
        return number;
    }

    /** One of a fixed set of words. */
    public Optional<String> optionalChoice(String key, String... choices) throws ControlException {
        String value = values.get(key);
        if (value != null && !Arrays.asList(choices).contains(value)) {
            throw new ControlException(key, "'" + value + "' is not one of " + String.join(", ", choices));
        }
        return Optional.ofNullable(value);
    }

    /** The value written to a trigger file such as remove_store: only {@code 1} is taken. */
    public static void requireOne(String file, String text) throws ControlException {
        if (!text.strip().equals("1")) {
            throw new ControlException(file, "write 1 to trigger it (got '" + text.strip() + "')");
        }
    }
}

package brmr.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator guide's command lines, read from a resource in the format its header describes:
 * steps ({@code ## name}) of lines {@code WHO: LINE [# expected output]}, each turned into the
 * brmrctl call (or fio run) it stands for.
 */
final class GuideScript {
    private static final Pattern LINE = Pattern.compile("^(client|node \\d+):\\s+(.*?)(?:\\s+#\\s(.*))?$");
    private static final Pattern ECHO = Pattern.compile("^echo\\s+(?:'([^']*)'|\"([^\"]*)\"|(\\S+))\\s*>\\s*(\\S+)$");
    private static final Pattern CAT = Pattern.compile("^cat\\s+(\\S+)$");
    private static final Pattern FIO = Pattern.compile("^fio\\s+(.*)$");
    /** In an expected line: ".." any text, N a number. */
    private static final Pattern WILDCARD = Pattern.compile("\\.\\.|(?<![A-Za-z])N(?![A-Za-z])");

    /** What a line does: write a control file, read one, or run fio through the device. */
    enum Kind { WRITE, READ, FIO }

    /**
     * One line of the guide. {@code who}: {@code client} or {@code node N}; {@code path} and {@code value}
     * of a write, {@code path} of a read, the options of fio in {@code value}; {@code expected} the
     * output lines a read must show ({@code null}: any output).
     */
    record Line(String text, String who, Kind kind, String path, String value, List<Pattern> expected) {
        /** Whether {@code output} holds the expected lines one after the other. */
        boolean shows(String output) {
            List<String> lines = output.lines().map(String::strip).toList();
            for (int start = 0; start + expected.size() <= lines.size(); start++) {
                boolean all = true;
                for (int i = 0; i < expected.size() && all; i++) {
                    all = expected.get(i).matcher(lines.get(start + i)).matches();
                }
                if (all) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return who + ": " + text;
        }
    }

    private final Map<String, List<Line>> steps;

    private GuideScript(Map<String, List<Line>> steps) {
        this.steps = steps;
    }

    /** Reads {@code resource} (next to this class), with {@code substitute} applied to each line first. */
    static GuideScript load(String resource, java.util.function.UnaryOperator<String> substitute) throws IOException {
        String text;
        try (InputStream in = GuideScript.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no resource " + resource + " next to " + GuideScript.class.getName());
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, List<Line>> steps = new LinkedHashMap<>();
        List<Line> current = null;
        int number = 0;
        for (String raw : text.lines().toList()) {
            number++;
            String line = raw.strip();
            if (line.startsWith("## ")) {
                current = new ArrayList<>();
                steps.put(line.substring(3).strip(), current);
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                if (current == null) {
                    throw new IOException(resource + " line " + number + ": a command before the first ## step");
                }
                current.add(parse(substitute.apply(line), resource + " line " + number));
            }
        }
        return new GuideScript(steps);
    }

    private static Line parse(String line, String where) throws IOException {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new IOException(where + ": not 'WHO: COMMAND': " + line);
        }
        String who = m.group(1);
        String command = m.group(2).strip();
        List<Pattern> expected = m.group(3) == null ? null
                : Pattern.compile(" / ").splitAsStream(m.group(3).strip()).map(GuideScript::linePattern).toList();
        Matcher echo = ECHO.matcher(command);
        if (echo.matches()) {
            String value = echo.group(1) != null ? echo.group(1) : echo.group(2) != null ? echo.group(2) : echo.group(3);
            return new Line(command, who, Kind.WRITE, echo.group(4), value, null);
        }
        Matcher cat = CAT.matcher(command);
        if (cat.matches()) {
            return new Line(command, who, Kind.READ, cat.group(1), null, expected);
        }
        Matcher fio = FIO.matcher(command);
        if (fio.matches()) {
            return new Line(command, who, Kind.FIO, null, fio.group(1).replace("...", "").strip(), null);
        }
        throw new IOException(where + ": neither echo ... > PATH, cat PATH nor fio: " + command);
    }

    /** An expected output line as a pattern: literal text with ".." and N as wildcards. */
    static Pattern linePattern(String expected) {
        StringBuilder regex = new StringBuilder();
        Matcher wildcard = WILDCARD.matcher(expected);
        int at = 0;
        while (wildcard.find()) {
            regex.append(Pattern.quote(expected.substring(at, wildcard.start())));
            regex.append(wildcard.group().equals("..") ? ".*" : "\\d+");
            at = wildcard.end();
        }
        regex.append(Pattern.quote(expected.substring(at)));
        return Pattern.compile(regex.toString());
    }

    /** The lines of step {@code name}, in order. */
    List<Line> step(String name) {
        List<Line> lines = steps.get(name);
        if (lines == null) {
            throw new IllegalArgumentException("the guide has no step '" + name + "'; it has " + steps.keySet());
        }
        return lines;
    }

    List<String> stepNames() {
        return List.copyOf(steps.keySet());
    }
}

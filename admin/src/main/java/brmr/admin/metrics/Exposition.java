package brmr.admin.metrics;

import brmr.rmr.LatencyHistogram;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Prometheus text exposition format, version 0.0.4: each metric family once, with its HELP and
 * TYPE lines and all its samples together, in the order the families were first named. Not shared
 * between threads: one is filled and rendered per scrape.
 */
public final class Exposition {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** The metric types this exporter writes. */
    public enum Type { GAUGE, COUNTER, HISTOGRAM }

    private record Family(String help, Type type, List<String> samples) {
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** One sample of a gauge; {@code labels} alternate name and value. */
    public Exposition gauge(String name, String help, double value, String... labels) {
        family(name, help, Type.GAUGE).add(sample(name, labels, value));
        return this;
    }

    /** A state as a set of gauges, one per possible value: 1 for the current one, 0 for the others. */
    public Exposition states(String name, String help, String current, Iterable<String> all, String... labels) {
        for (String state : all) {
            gauge(name, help, state.equals(current) ? 1 : 0, with(labels, "state", state));
        }
        return this;
    }

    /** One sample of a counter; its name ends in {@code _total}. */
    public Exposition counter(String name, String help, double value, String... labels) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter " + name + " does not end in _total");
        }
        family(name, help, Type.COUNTER).add(sample(name, labels, value));
        return this;
    }

    /** One histogram: a cumulative {@code _bucket} per bound, the {@code +Inf} bucket, {@code _sum} and {@code _count}. */
    public Exposition histogram(String name, String help, LatencyHistogram.Snapshot snapshot, String... labels) {
        List<String> samples = family(name, help, Type.HISTOGRAM);
        for (int i = 0; i < snapshot.bounds().length; i++) {
            samples.add(sample(name + "_bucket", with(labels, "le", number(snapshot.bounds()[i])),
                    snapshot.cumulative()[i]));
        }
        samples.add(sample(name + "_bucket", with(labels, "le", "+Inf"), snapshot.count()));
        samples.add(sample(name + "_sum", labels, snapshot.sumSeconds()));
        samples.add(sample(name + "_count", labels, snapshot.count()));
        return this;
    }

    private List<String> family(String name, String help, Type type) {
        Family family = families.computeIfAbsent(name, n -> new Family(help, type, new ArrayList<>()));
        if (family.type != type) {
            throw new IllegalArgumentException(name + " is a " + family.type + ", not a " + type);
        }
        return family.samples;
    }

    /** The whole exposition; a family without samples is left out. */
    public String render() {
        StringBuilder text = new StringBuilder();
        families.forEach((name, family) -> {
            if (family.samples.isEmpty()) {
                return;
            }
            text.append("# HELP ").append(name).append(' ').append(escapeHelp(family.help)).append('\n');
            text.append("# TYPE ").append(name).append(' ').append(family.type.name().toLowerCase(Locale.ROOT))
                    .append('\n');
            family.samples.forEach(sample -> text.append(sample).append('\n'));
        });
        return text.toString();
    }

    private static String sample(String name, String[] labels, double value) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException(name + ": labels come in name-value pairs");
        }
        StringBuilder line = new StringBuilder(name);
        for (int i = 0; i < labels.length; i += 2) {
            line.append(i == 0 ? '{' : ',').append(labels[i]).append("=\"").append(escapeLabel(labels[i + 1]))
                    .append('"');
        }
        if (labels.length > 0) {
            line.append('}');
        }
        return line.append(' ').append(number(value)).toString();
    }

    /** {@code labels} with one more name-value pair at the end. */
    static String[] with(String[] labels, String name, String value) {
        String[] all = Arrays.copyOf(labels, labels.length + 2);
        all[labels.length] = name;
        all[labels.length + 1] = value;
        return all;
    }

    /** A label value: backslash, double quote and line feed are escaped. */
    static String escapeLabel(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A HELP text: backslash and line feed are escaped. */
    static String escapeHelp(String help) {
        return help.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** A whole number without a fraction, others in plain decimal, and the special values as Prometheus spells them. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}

package brmr.admin.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.rmr.LatencyHistogram;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpositionTest {
    @Test
    void labelValuesEscapeBackslashQuoteAndLineFeed() {
        String text = new Exposition().gauge("brmr_test_state", "A test.", 1, "session", "a\\b\"c\nd@e").render();
        assertEquals("""
                # HELP brmr_test_state A test.
                # TYPE brmr_test_state gauge
                brmr_test_state{session="a\\\\b\\"c\\nd@e"} 1
                """, text);
    }

    @Test
    void helpEscapesBackslashAndLineFeedButNotQuotes() {
        String text = new Exposition().counter("brmr_x_total", "one \"two\"\\three\nfour", 3).render();
        assertEquals("# HELP brmr_x_total one \"two\"\\\\three\\nfour\n# TYPE brmr_x_total counter\nbrmr_x_total 3\n",
                text);
    }

    @Test
    void aHistogramHasCumulativeBucketsThenInfThenSumAndCount() {
        var snapshot = new LatencyHistogram.Snapshot(new double[] {0.0001, 0.5, 1}, new long[] {1, 3, 3}, 5, 12.25);
        String text = new Exposition().histogram("brmr_io_latency_seconds", "Latency.", snapshot, "op", "read")
                .render();
        assertEquals("""
                # HELP brmr_io_latency_seconds Latency.
                # TYPE brmr_io_latency_seconds histogram
                brmr_io_latency_seconds_bucket{op="read",le="0.0001"} 1
                brmr_io_latency_seconds_bucket{op="read",le="0.5"} 3
                brmr_io_latency_seconds_bucket{op="read",le="1"} 3
                brmr_io_latency_seconds_bucket{op="read",le="+Inf"} 5
                brmr_io_latency_seconds_sum{op="read"} 12.25
                brmr_io_latency_seconds_count{op="read"} 5
                """, text);
    }

    @Test
    void aRecordedHistogramRendersItsBucketsInOrderEndingInTheCount() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(2_000_000);
        histogram.record(30_000_000_000L);
        String text = new Exposition().histogram("brmr_l_seconds", "L.", histogram.snapshot()).render();
        assertEquals(true, text.contains("brmr_l_seconds_bucket{le=\"0.001\"} 0\nbrmr_l_seconds_bucket{le=\"0.0025\"} 1\n"),
                text);
        assertEquals(true, text.contains("brmr_l_seconds_bucket{le=\"10\"} 1\nbrmr_l_seconds_bucket{le=\"+Inf\"} 2\n"
                + "brmr_l_seconds_sum 30.002\nbrmr_l_seconds_count 2\n"), text);
    }

    @Test
    void samplesOfOneFamilyStayTogetherUnderOneHeaderWhateverOrderTheyCameIn() {
        String text = new Exposition()
                .gauge("brmr_a", "A.", 1, "pool", "p1")
                .gauge("brmr_b", "B.", 2, "pool", "p1")
                .gauge("brmr_a", "A.", 3, "pool", "p2")
                .render();
        assertEquals("""
                # HELP brmr_a A.
                # TYPE brmr_a gauge
                brmr_a{pool="p1"} 1
                brmr_a{pool="p2"} 3
                # HELP brmr_b B.
                # TYPE brmr_b gauge
                brmr_b{pool="p1"} 2
                """, text);
    }

    @Test
    void aStateIsOneGaugePerPossibleValueWithOneSet() {
        String text = new Exposition().states("brmr_s", "S.", "normal", List.of("created", "normal"),
                "pool", "p1").render();
        assertEquals("# HELP brmr_s S.\n# TYPE brmr_s gauge\nbrmr_s{pool=\"p1\",state=\"created\"} 0\n"
                + "brmr_s{pool=\"p1\",state=\"normal\"} 1\n", text);
    }

    @Test
    void numbersArePlainAndSpecialValuesAreSpelledAsPrometheusDoes() {
        assertEquals("0", Exposition.number(0));
        assertEquals("12345678901", Exposition.number(12345678901d));
        assertEquals("0.00025", Exposition.number(0.00025));
        assertEquals("2.5", Exposition.number(2.5));
        assertEquals("+Inf", Exposition.number(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", Exposition.number(Double.NEGATIVE_INFINITY));
        assertEquals("NaN", Exposition.number(Double.NaN));
    }

    @Test
    void aCounterMustEndInTotalAndANameKeepsItsType() {
        assertThrows(IllegalArgumentException.class, () -> new Exposition().counter("brmr_ops", "x", 1));
        Exposition out = new Exposition().gauge("brmr_x_total", "x", 1);
        assertThrows(IllegalArgumentException.class, () -> out.counter("brmr_x_total", "x", 1));
    }
}

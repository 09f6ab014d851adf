package brmr.rmr;

import java.util.Locale;

/** The kinds of block IO counted per leg and per pool: a write-zeroes or a trim counts as a write. */
public enum IoOp {
    READ, WRITE, FLUSH;

    /** The word used in metrics labels: {@code read}, {@code write}, {@code flush}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

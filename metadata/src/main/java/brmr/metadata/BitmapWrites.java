package brmr.metadata;

/** How a {@link MetadataArea} makes bitmap updates durable; the storage daemon picks one at start. */
public enum BitmapWrites {
    /** Stores into an mmap window of the bitmap region, then msync(MS_SYNC) of the touched pages. */
    MAPPED("mmap"),
    /** One pwritev2(RWF_DSYNC) per run of touched 4096-byte blocks (pwrite and fdatasync on old kernels). */
    DSYNC("dsync");

    /** Faster on O_DIRECT block devices, within a few percent on files (bench/README.md, bitmap-bench.sh). */
    public static final BitmapWrites DEFAULT = MAPPED;

    private final String label;

    BitmapWrites(String label) {
        this.label = label;
    }

    /** The word an operator uses for it. */
    public String label() {
        return label;
    }

    /** The mode named {@code label}, or null for an unknown word. */
    public static BitmapWrites ofLabel(String label) {
        for (BitmapWrites mode : values()) {
            if (mode.label.equals(label)) {
                return mode;
            }
        }
        return null;
    }
}

package brmr.metadata;

/** How a {@link MetadataArea} makes bitmap updates durable; the storage daemon picks one at start. */
public enum BitmapWrites {
    /** Stores into an mmap window of the bitmap region, then msync(MS_SYNC) of the touched pages. */
    MAPPED("mmap"),
    /** One pwritev2(RWF_DSYNC) per run of touched 4096-byte blocks (pwrite and fdatasync on old kernels). */
    DSYNC("dsync");

    private final String label;

    BitmapWrites(String label) {
        this.label = label;
    }

    /** The word an operator uses for it. */
    public String label() {
        return label;
    }
}

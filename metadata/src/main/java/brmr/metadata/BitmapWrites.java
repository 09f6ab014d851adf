package brmr.metadata;

import brmr.device.Disk;

/** How a {@link MetadataArea} makes bitmap updates durable; the storage daemon picks one at start. */
public enum BitmapWrites {
    /** Stores into an mmap window of the bitmap region, then msync(MS_SYNC) of the touched pages. */
    MAPPED("mmap"),
    /** One pwritev2(RWF_DSYNC) per run of touched 4096-byte blocks (pwrite and fdatasync on old kernels). */
    DSYNC("dsync"),
    /**
     * MAPPED on block devices, DSYNC on regular files: the faster of the two on each kind
     * (bench/README.md: bitmap-bench.sh per update, ab-bench.sh per pool).
     */
    AUTO("auto");

    public static final BitmapWrites DEFAULT = AUTO;

    private final String label;

    BitmapWrites(String label) {
        this.label = label;
    }

    /** The word an operator uses for it. */
    public String label() {
        return label;
    }

    /** The mode a store on {@code disk} uses: AUTO decided by the disk's kind, any other mode as it is. */
    public BitmapWrites forDisk(Disk disk) {
        if (this != AUTO) {
            return this;
        }
        return disk.isBlockDevice() ? MAPPED : DSYNC;
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

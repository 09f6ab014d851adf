package brmr.metadata;

/** What {@link MetadataArea#read} found on a disk. */
public sealed interface MetadataState {
    /** At least one header copy is valid; the one with the highest generation wins. */
    record Present(StoreMetadata newest, int validCopies) implements MetadataState {
    }

    /**
     * No valid header copy: the disk has no recognisable metadata. {@code remnants} is true when a
     * copy has the magic but is damaged, as after a torn first write or a torn erase.
     */
    record Absent(boolean remnants) implements MetadataState {
    }

    /** A header copy was written by a later brmr with a format this one cannot read. */
    record Unsupported(int version) implements MetadataState {
    }
}

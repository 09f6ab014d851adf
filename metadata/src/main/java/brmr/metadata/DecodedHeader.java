package brmr.metadata;

/** What {@link MetadataCodec#decode} found in one header copy. */
public sealed interface DecodedHeader {
    /** A checksummed header of a supported version whose every field is valid. */
    record Valid(StoreMetadata metadata) implements DecodedHeader {
    }

    /** The bytes do not start with the magic: not a brmr header at all. */
    record NoMagic() implements DecodedHeader {
    }

    /** The magic is there but the header is damaged or inconsistent; the reason names the field. */
    record Corrupt(String reason) implements DecodedHeader {
    }

    /** Written by a later brmr with a header format this one cannot read. */
    record FutureVersion(int version) implements DecodedHeader {
    }
}

package dev.scopeflow.schemas.format;

import java.util.Optional;

/** The safetensors element types this reader widens to float32; others are rejected by name. */
public enum SafetensorsDtype {
    F32(4),
    F16(2),
    BF16(2),
    F64(8);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    static Optional<SafetensorsDtype> parse(String code) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(code)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Element sizes of the other safetensors dtypes, so headers can be validated even for tensors we never read. */
    static int byteSizeOf(String code) {
        return switch (code) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F64", "I64", "U64" -> 8;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }
}

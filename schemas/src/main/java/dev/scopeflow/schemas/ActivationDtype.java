package dev.scopeflow.schemas;

import java.util.Locale;

/** How activation values travel on the wire. In memory they are always float32. */
public enum ActivationDtype {
    /** IEEE float32, 4 bytes per value. */
    F32(4),
    /** bfloat16 (upper half of a float32, round-to-nearest-even), 2 bytes per value. */
    BF16(2);

    private final int bytesPerValue;

    ActivationDtype(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    /** Name used in schema metadata and options: {@code f32} or {@code bf16}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ActivationDtype fromCode(String code) {
        for (ActivationDtype d : values()) {
            if (d.code().equalsIgnoreCase(code)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown activation dtype '" + code + "' (expected f32 or bf16)");
    }
}

package dev.scopeflow.sae;

import java.io.IOException;

/**
 * A weights or array file that cannot be used: bad magic, unsupported dtype, truncated data, missing array,
 * inconsistent shapes, non-finite values. The message always names the file, the array (when there is one)
 * and what is wrong, because the person reading it is usually staring at a directory of checkpoints.
 */
public final class SaeFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public SaeFormatException(String message) {
        super(message);
    }

    public SaeFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{source}: array '{array}': {problem}", or without the array part when array is null. */
    static SaeFormatException of(String source, String array, String problem) {
        return new SaeFormatException(describe(source, array, problem));
    }

    static String describe(String source, String array, String problem) {
        return array == null ? source + ": " + problem : source + ": array '" + array + "': " + problem;
    }
}

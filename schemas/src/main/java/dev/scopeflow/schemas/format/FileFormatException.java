package dev.scopeflow.schemas.format;

import java.io.IOException;

/**
 * A file that cannot be read as its format says: bad magic, malformed header, unsupported dtype, truncated data,
 * a missing array or tensor. The message always names the file, the array or tensor (when there is one) and what
 * is wrong, because the person reading it is usually staring at a directory of checkpoints. Not final: a module
 * that checks more than the format (an SAE's shapes, say) extends it, so one catch handles both.
 */
public class FileFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public FileFormatException(String message) {
        super(message);
    }

    public FileFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{source}: array '{array}': {problem}", or without the array part when array is null. */
    public static FileFormatException of(String source, String array, String problem) {
        return new FileFormatException(describe(source, array, problem));
    }

    public static String describe(String source, String array, String problem) {
        return array == null ? source + ": " + problem : source + ": array '" + array + "': " + problem;
    }
}

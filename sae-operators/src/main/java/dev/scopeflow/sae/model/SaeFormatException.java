package dev.scopeflow.sae.model;

import dev.scopeflow.schemas.format.FileFormatException;

/**
 * SAE weights that cannot be used although their files parse: inconsistent shapes, non-finite values, an
 * unsupported architecture or config. A {@link FileFormatException}, so one catch covers unreadable files too; the
 * message names the file, the array (when there is one) and what is wrong.
 */
public final class SaeFormatException extends FileFormatException {

    private static final long serialVersionUID = 1L;

    public SaeFormatException(String message) {
        super(message);
    }

    public SaeFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{source}: array '{array}': {problem}", or without the array part when array is null. */
    public static SaeFormatException of(String source, String array, String problem) {
        return new SaeFormatException(describe(source, array, problem));
    }
}

package dev.scopeflow.producers.model;

/** A checkpoint directory, config or safetensors file that cannot be used; the message names the file and field. */
public final class CheckpointException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}

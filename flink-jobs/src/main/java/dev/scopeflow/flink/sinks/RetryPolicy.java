package dev.scopeflow.flink.sinks;

import java.io.Serializable;
import java.time.Duration;

/**
 * Exponential backoff for writes to an external store: retries until {@code giveUpAfter} has passed, then
 * fails with the last error so Flink restarts the job from its last checkpoint.
 */
public final class RetryPolicy implements Serializable {

    private static final long serialVersionUID = 1L;

    private final long initialBackoffMillis;
    private final long maxBackoffMillis;
    private final long giveUpAfterMillis;

    public RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
        if (initialBackoff.isNegative()
                || initialBackoff.isZero()
                || maxBackoff.compareTo(initialBackoff) < 0
                || giveUpAfter.isNegative()) {
            throw new IllegalArgumentException("need 0 < initialBackoff <= maxBackoff and giveUpAfter >= 0; got "
                    + initialBackoff + ", " + maxBackoff + ", " + giveUpAfter);
        }
        this.initialBackoffMillis = initialBackoff.toMillis();
        this.maxBackoffMillis = maxBackoff.toMillis();
        this.giveUpAfterMillis = giveUpAfter.toMillis();
    }

    /** An action that may fail with any exception. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action}, retrying failures; {@code onRetry} is told of each retry (for metrics). */
    public void run(String what, Action action, Runnable onRetry) throws InterruptedException {
        long deadline = System.currentTimeMillis() + giveUpAfterMillis;
        long backoff = initialBackoffMillis;
        while (true) {
            try {
                action.run();
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (System.currentTimeMillis() + backoff > deadline) {
                    throw new IllegalStateException(
                            "gave up after " + giveUpAfterMillis + " ms: " + what + ": " + e.getMessage(), e);
                }
                onRetry.run();
                Thread.sleep(backoff);
                backoff = Math.min(maxBackoffMillis, backoff * 2);
            }
        }
    }
}

package dev.scopeflow.flink.sinks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The sinks' retry loop: retries until the action succeeds, gives up with the last error, never retries interrupts. */
class RetryPolicyTest {

    @Test
    void retriesUntilTheActionSucceedsAndReportsEachRetry() throws Exception {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(4), Duration.ofSeconds(30));
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();

        policy.run(
                "insert",
                () -> {
                    if (attempts.incrementAndGet() <= 3) {
                        throw new IOException("connection refused");
                    }
                },
                retries::incrementAndGet);

        assertThat(attempts).hasValue(4);
        assertThat(retries).hasValue(3);
    }

    @Test
    void givesUpAfterTheDeadlineWithTheLastErrorAsCause() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(60));
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        IOException last = new IOException("still down");

        assertThatThrownBy(() -> policy.run(
                        "insert 3 rows into db.t",
                        () -> {
                            attempts.incrementAndGet();
                            throw last;
                        },
                        retries::incrementAndGet))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("gave up after 60 ms: insert 3 rows into db.t: still down")
                .hasCause(last);
        // Backoffs 5, 10, 10, ... ms within 60 ms: it did retry, and it stopped.
        assertThat(retries.get()).isBetween(1, 12);
        assertThat(attempts.get()).isEqualTo(retries.get() + 1);
    }

    @Test
    void withNoTimeToRetryTheFirstErrorIsFinal() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO);
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> policy.run(
                        "insert",
                        () -> {
                            attempts.incrementAndGet();
                            throw new IOException("down");
                        },
                        () -> {
                            throw new AssertionError("no retry expected");
                        }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void anInterruptIsPassedOnAtOnce() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(30));
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> policy.run(
                        "insert",
                        () -> {
                            attempts.incrementAndGet();
                            throw new InterruptedException("cancelled");
                        },
                        () -> {}))
                .isInstanceOf(InterruptedException.class);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void rejectsBackoffsThatCannotWork() {
        assertThatThrownBy(() -> new RetryPolicy(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

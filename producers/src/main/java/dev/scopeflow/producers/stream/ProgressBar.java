package dev.scopeflow.producers.stream;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * One self-overwriting status line for long runs: documents, tokens, tokens/s and an ETA from the fraction of
 * the corpus read. Redraws at most every {@code interval} so it costs nothing next to a forward pass.
 */
public final class ProgressBar implements ProducerProgress {

    private final PrintStream out;
    private final LongSupplier clockNanos;
    private final long intervalNanos;
    private long startNanos;
    private long lastDrawNanos = Long.MIN_VALUE;

    public ProgressBar(PrintStream out, Duration interval) {
        this(out, interval, System::nanoTime);
    }

    ProgressBar(PrintStream out, Duration interval, LongSupplier clockNanos) {
        this.out = out;
        this.clockNanos = clockNanos;
        this.intervalNanos = interval.toNanos();
        this.startNanos = clockNanos.getAsLong();
    }

    @Override
    public void start() {
        startNanos = clockNanos.getAsLong();
    }

    @Override
    public void update(long documents, long tokens, double fractionRead) {
        long now = clockNanos.getAsLong();
        if (lastDrawNanos != Long.MIN_VALUE && now - lastDrawNanos < intervalNanos) {
            return;
        }
        lastDrawNanos = now;
        out.print("\r" + line(documents, tokens, fractionRead, (now - startNanos) / 1e9));
        out.flush();
    }

    @Override
    public void finish(long documents, long tokens) {
        out.println("\r" + line(documents, tokens, 1.0, (clockNanos.getAsLong() - startNanos) / 1e9));
    }

    static String line(long documents, long tokens, double fraction, double seconds) {
        double rate = seconds > 0 ? tokens / seconds : 0;
        int width = 24;
        boolean known = !Double.isNaN(fraction);
        int filled = known ? (int) Math.round(Math.max(0, Math.min(1, fraction)) * width) : 0;
        String eta = fraction > 0 && fraction < 1
                ? clock(seconds * (1 - fraction) / fraction)
                : fraction >= 1 ? "done" : "--:--:--";
        return String.format(
                Locale.ROOT,
                "[%s%s] %s | %,d docs | %,d tokens | %,.0f tok/s | ETA %s",
                "#".repeat(filled),
                " ".repeat(width - filled),
                known ? String.format(Locale.ROOT, "%5.1f%%", 100 * fraction) : "    ?%",
                documents,
                tokens,
                rate,
                eta);
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}

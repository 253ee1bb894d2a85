package dev.scopeflow.producers.stream;

import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.corpus.CorpusStats;
import dev.scopeflow.producers.corpus.Document;
import dev.scopeflow.producers.model.CaptureResult;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.model.Splice;
import dev.scopeflow.producers.model.SpliceEvaluation;
import dev.scopeflow.producers.model.TokenBatch;
import dev.scopeflow.producers.tokenizer.ContextWindows;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.WindowEvaluation;
import dev.scopeflow.schemas.format.HalfFloats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Corpus → tokenizer → context windows → Gemma 2 forward → activation batches and document records. Windows of
 * consecutive documents are batched {@code batchSize} at a time; each window yields, per site, batches of at most
 * {@code maxRecordBytes} of values (a batch never spans two documents, so it has one Kafka key). Rows are document
 * positions; the BOS prepended to a document's later windows is not a document token and is not emitted.
 * With {@link Evaluation}s, each batch goes through {@link Gemma2Model#evaluateAndCapture} instead (its clean
 * forward captures the sites) and each window also yields one {@link WindowEvaluation} with every SAE's sums over
 * that window exactly as {@code scopeflow eval} computes them for it. Sinks are plain consumers, so tests run the
 * same loop without Kafka.
 */
public final class CorpusProducer {

    /** Values per Kafka record: 1 MiB, ~227 rows of Gemma 2 2B's 2304-wide residual stream in bf16. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

    /** Characters of a document's text its first window carries (the rest is in the tokens only). */
    public static final int DEFAULT_MAX_DOCUMENT_TEXT_CHARS = 65_536;

    /** Run settings; {@link #of} fills the defaults (bf16, 1024-token windows, 8 windows per forward, 1 MiB). */
    public record Settings(
            String runId,
            String modelId,
            List<Site> sites,
            ActivationDtype dtype,
            int contextLength,
            int batchSize,
            int maxRecordBytes,
            long maxDocuments,
            int maxDocumentTextChars) {
        public Settings {
            RunId.validate(runId);
            Objects.requireNonNull(modelId, "modelId");
            sites = List.copyOf(sites);
            if (sites.isEmpty()) {
                throw new IllegalArgumentException("at least one site is required");
            }
            if (contextLength < 2
                    || batchSize <= 0
                    || maxRecordBytes <= 0
                    || maxDocuments <= 0
                    || maxDocumentTextChars < 0) {
                throw new IllegalArgumentException("need contextLength >= 2, batchSize > 0, maxRecordBytes > 0, "
                        + "maxDocuments > 0, maxDocumentTextChars >= 0");
            }
        }

        public static Settings of(String runId, String modelId, List<Site> sites) {
            return new Settings(
                    runId,
                    modelId,
                    sites,
                    ActivationDtype.BF16,
                    1024,
                    8,
                    DEFAULT_MAX_RECORD_BYTES,
                    Long.MAX_VALUE,
                    DEFAULT_MAX_DOCUMENT_TEXT_CHARS);
        }

        public Settings withDtype(ActivationDtype d) {
            return new Settings(
                    runId,
                    modelId,
                    sites,
                    d,
                    contextLength,
                    batchSize,
                    maxRecordBytes,
                    maxDocuments,
                    maxDocumentTextChars);
        }

        public Settings withContextLength(int n) {
            return new Settings(
                    runId, modelId, sites, dtype, n, batchSize, maxRecordBytes, maxDocuments, maxDocumentTextChars);
        }

        public Settings withBatchSize(int n) {
            return new Settings(
                    runId, modelId, sites, dtype, contextLength, n, maxRecordBytes, maxDocuments, maxDocumentTextChars);
        }

        public Settings withMaxRecordBytes(int n) {
            return new Settings(
                    runId, modelId, sites, dtype, contextLength, batchSize, n, maxDocuments, maxDocumentTextChars);
        }

        public Settings withMaxDocuments(long n) {
            return new Settings(
                    runId, modelId, sites, dtype, contextLength, batchSize, maxRecordBytes, n, maxDocumentTextChars);
        }
    }

    /** An SAE evaluated with the model in the loop on every window ({@code --eval-sae ID=SITE=PATH}). */
    public record Evaluation(String saeId, Splice splice) {
        public Evaluation {
            Objects.requireNonNull(saeId, "saeId");
            Objects.requireNonNull(splice, "splice");
        }
    }

    /** Where a run's records go. */
    public record Sinks(
            Consumer<ActivationBatch> activations,
            Consumer<DocumentWindow> documents,
            Consumer<WindowEvaluation> evaluations) {}

    /** What a run did; {@code evaluatedWindows} is 0 without {@link Evaluation}s. */
    public record Report(
            long documents,
            long windows,
            long tokens,
            long activationBatches,
            long forwardPasses,
            long evaluatedWindows,
            CorpusStats corpus,
            double seconds) {
        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }

        /** Nothing done yet over {@code corpus}. */
        public static Report none(CorpusStats corpus) {
            return new Report(0, 0, 0, 0, 0, 0, corpus, 0);
        }

        /** The counts of this report less {@code earlier}'s: what was done between the two; corpus and time this one's. */
        public Report since(Report earlier) {
            return new Report(
                    documents - earlier.documents,
                    windows - earlier.windows,
                    tokens - earlier.tokens,
                    activationBatches - earlier.activationBatches,
                    forwardPasses - earlier.forwardPasses,
                    evaluatedWindows - earlier.evaluatedWindows,
                    corpus,
                    seconds);
        }

        /** The counts of both; corpus and time this one's. */
        public Report plus(Report more) {
            return new Report(
                    documents + more.documents,
                    windows + more.windows,
                    tokens + more.tokens,
                    activationBatches + more.activationBatches,
                    forwardPasses + more.forwardPasses,
                    evaluatedWindows + more.evaluatedWindows,
                    corpus,
                    seconds);
        }

        public Report withSeconds(double s) {
            return new Report(
                    documents, windows, tokens, activationBatches, forwardPasses, evaluatedWindows, corpus, s);
        }

        /** This report if the corpus held a document; else an error naming the corpus and what was in it. */
        public Report requireDocuments(Path corpusPath) {
            if (documents > 0) {
                return this;
            }
            throw new IllegalArgumentException(corpusPath + ": no documents to produce (" + corpus.records()
                    + " records read: " + corpus.empty() + " empty, " + corpus.malformedJson() + " malformed JSON, "
                    + corpus.invalidUtf8() + " invalid UTF-8); nothing was published. Pass --allow-empty to accept "
                    + "an empty corpus");
        }
    }

    private record PendingWindow(Document doc, int index, ContextWindows.Window window) {}

    private CorpusProducer() {}

    public static Report run(
            Gemma2Model model,
            GemmaTokenizer tokenizer,
            CorpusReader corpus,
            Settings settings,
            List<Evaluation> evaluations,
            Sinks sinks,
            ProducerProgress progress) {
        long start = System.nanoTime();
        Session session = new Session(model, tokenizer, settings, evaluations, sinks);
        progress.start();
        for (Document doc : corpus) {
            if (session.documents() >= settings.maxDocuments()) {
                break;
            }
            if (session.accept(doc)) {
                progress.update(session.documents(), session.tokens(), corpus.fractionRead());
            }
        }
        session.flush();
        progress.finish(session.documents(), session.tokens());
        return session.report(corpus.stats(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * The pipeline one document at a time, for callers that own the document source ({@link #run} a corpus file, a
     * worker the corpus topic): windows wait until {@code batchSize} of them fill a forward; {@link #flush} forwards
     * the rest, so after it every accepted document's records have gone to the sinks. Not thread-safe.
     */
    public static final class Session {
        private final Gemma2Model model;
        private final Settings settings;
        private final List<Evaluation> evaluations;
        private final Sinks sinks;
        private final ContextWindows splitter;
        private final GemmaTokenizer tokenizer;
        private final List<PendingWindow> pending = new ArrayList<>();
        private final long[] counts = new long[6]; // documents, windows, tokens, batches, forwards, evaluated windows

        /** Fails at once on a site or SAE site the model lacks. */
        public Session(
                Gemma2Model model,
                GemmaTokenizer tokenizer,
                Settings settings,
                List<Evaluation> evaluations,
                Sinks sinks) {
            settings.sites().forEach(model::width);
            evaluations.forEach(e -> model.width(e.splice().site()));
            this.model = model;
            this.tokenizer = tokenizer;
            this.settings = settings;
            this.evaluations = List.copyOf(evaluations);
            this.sinks = sinks;
            this.splitter = new ContextWindows(settings.contextLength(), tokenizer.bosTokenId());
        }

        /** Tokenizes {@code doc}, sends its windows and forwards every full batch; true if a forward ran. */
        public boolean accept(Document doc) {
            counts[0]++;
            long forwards = counts[4];
            List<ContextWindows.Window> windows = splitter.split(tokenizer.encode(doc.text()));
            for (int w = 0; w < windows.size(); w++) {
                sinks.documents()
                        .accept(documentWindow(
                                settings.runId(), doc, w, windows.get(w), settings.maxDocumentTextChars()));
                pending.add(new PendingWindow(doc, w, windows.get(w)));
                if (pending.size() == settings.batchSize()) {
                    forward(model, settings, evaluations, pending, sinks, counts);
                }
            }
            return counts[4] > forwards;
        }

        /** Forwards the windows still waiting for a full batch. */
        public void flush() {
            if (!pending.isEmpty()) {
                forward(model, settings, evaluations, pending, sinks, counts);
            }
        }

        public long documents() {
            return counts[0];
        }

        public long tokens() {
            return counts[2];
        }

        /** What the session did so far, over {@code corpus} in {@code seconds}. */
        public Report report(CorpusStats corpus, double seconds) {
            return new Report(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], corpus, seconds);
        }
    }

    /** Rows of {@code width} values in one Kafka record of at most {@code maxRecordBytes} of values (at least 1). */
    public static int rowsPerRecord(int maxRecordBytes, int width, ActivationDtype dtype) {
        return Math.max(1, maxRecordBytes / (width * dtype.bytesPerValue()));
    }

    /** The value a batch of {@code dtype} holds for {@code v}: rounded to bf16 for BF16, so encoding is exact. */
    static float onTheWire(float v, ActivationDtype dtype) {
        return dtype == ActivationDtype.BF16 ? HalfFloats.roundToBf16(v) : v;
    }

    /**
     * The documents-topic record of window {@code index} of {@code doc}: the window's document tokens (a prepended
     * BOS is not one); the first window also carries the text, cut after {@code maxTextChars}, and the source.
     */
    public static DocumentWindow documentWindow(
            String runId, Document doc, int index, ContextWindows.Window w, int maxTextChars) {
        int[] tokens = w.prependedBos() ? java.util.Arrays.copyOfRange(w.tokens(), 1, w.tokens().length) : w.tokens();
        if (index > 0) {
            return new DocumentWindow(runId, doc.id(), index, w.firstDocumentPosition(), tokens, null, null, false);
        }
        boolean cut = doc.text().length() > maxTextChars;
        String text = cut ? doc.text().substring(0, maxTextChars) : doc.text();
        return new DocumentWindow(runId, doc.id(), 0, 0, tokens, text, doc.source(), cut);
    }

    private static void forward(
            Gemma2Model model,
            Settings settings,
            List<Evaluation> evaluations,
            List<PendingWindow> pending,
            Sinks sinks,
            long[] counts) {
        List<int[]> sequences = pending.stream().map(p -> p.window().tokens()).toList();
        TokenBatch batch = TokenBatch.rightPadded(sequences, model.config().padTokenId());
        CaptureResult result;
        if (evaluations.isEmpty()) {
            result = model.capture(batch, settings.sites(), false);
        } else {
            Gemma2Model.CapturedEvaluation both = model.evaluateAndCapture(
                    batch, evaluations.stream().map(Evaluation::splice).toList(), settings.sites());
            result = both.capture();
            publishEvaluations(settings, evaluations, pending, both.evaluation(), sinks.evaluations());
            counts[5] += pending.size();
        }
        Consumer<ActivationBatch> activations = sinks.activations();
        counts[4]++;
        for (int s = 0; s < pending.size(); s++) {
            PendingWindow p = pending.get(s);
            int[] tokens = p.window().tokens();
            int firstRow = p.window().prependedBos() ? 1 : 0;
            counts[1]++;
            counts[2] += tokens.length - firstRow;
            for (Site site : settings.sites()) {
                int width = result.width(site);
                int rowsPerBatch = rowsPerRecord(settings.maxRecordBytes(), width, settings.dtype());
                float[] values = result.values(site);
                for (int row = firstRow; row < tokens.length; row += rowsPerBatch) {
                    int rows = Math.min(rowsPerBatch, tokens.length - row);
                    activations.accept(activationBatch(settings, site, width, p, s, batch.seqLen(), row, rows, values));
                    counts[3]++;
                }
            }
        }
        pending.clear();
    }

    /** One record per window: each SAE's sums over that window's counted predictions. */
    private static void publishEvaluations(
            Settings settings,
            List<Evaluation> evaluations,
            List<PendingWindow> pending,
            SpliceEvaluation evaluation,
            Consumer<WindowEvaluation> sink) {
        for (int s = 0; s < pending.size(); s++) {
            List<WindowEvaluation.Entry> entries = new ArrayList<>(evaluations.size());
            for (int i = 0; i < evaluations.size(); i++) {
                Evaluation e = evaluations.get(i);
                entries.add(new WindowEvaluation.Entry(e.saeId(), e.splice().site(), evaluation.sums(i, s)));
            }
            PendingWindow p = pending.get(s);
            sink.accept(new WindowEvaluation(settings.runId(), p.doc().id(), p.index(), entries));
        }
    }

    private static ActivationBatch activationBatch(
            Settings settings,
            Site site,
            int width,
            PendingWindow p,
            int sequence,
            int seqLen,
            int firstRow,
            int rows,
            float[] values) {
        long[] docIds = new long[rows];
        int[] positions = new int[rows];
        int[] tokenIds = new int[rows];
        float[] out = new float[rows * width];
        int[] tokens = p.window().tokens();
        for (int r = 0; r < rows; r++) {
            int i = firstRow + r;
            docIds[r] = p.doc().id();
            positions[r] = p.window().documentPosition(i);
            tokenIds[r] = tokens[i];
            int from = (sequence * seqLen + i) * width;
            for (int d = 0; d < width; d++) {
                float v = values[from + d];
                out[r * width + d] = onTheWire(v, settings.dtype());
            }
        }
        return new ActivationBatch(
                settings.runId(), settings.modelId(), site, width, settings.dtype(), docIds, positions, tokenIds, out);
    }
}

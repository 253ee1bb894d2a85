package dev.scopeflow.flink.sinks;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.results.ActivationStoreRows;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * The activation store: writes the SAE activations each SAE's {@link StorePolicy} keeps to
 * {@code feature_activations}, one row per (token, feature), and to {@code feature_activations_by_token}, one row
 * per token with any kept, fed straight from the encode operator. Rows are
 * buffered and inserted when the buffer is full and at every checkpoint (Flink flushes writers before the
 * barrier), each insert under the {@link RetryPolicy}, so a completed checkpoint implies its rows are in
 * ClickHouse.
 *
 * <p>Exactly once, without a two-phase commit: after a restart the job replays every record since the last
 * completed checkpoint, and a replayed record yields the same rows again, because the rows are a function of the
 * record alone (both encode kernels are deterministic, and a row's bits do not depend on the other records encoded
 * in the same call: EncoderKernelTest; a policy selects from one token's codes). The
 * table's ReplacingMergeTree key (run, SAE, feature, doc, position) is a row's whole identity, so merges keep one
 * copy of a row written twice and a read with {@code FINAL} never shows the second: every record is in the table
 * (at least once, by the flush at the checkpoint) and each of its rows counts once (by the key); the same holds
 * for a token's by-token row, whose key is (run, SAE, doc, position). Rows written
 * after the last checkpoint by a failed attempt are replayed too, so none is left that a replay would not write.
 */
public final class ClickHouseActivationsSink implements Sink<SaeCodesBatch> {

    private static final long serialVersionUID = 1L;
    private static final int MAX_BUFFERED_BYTES = 8 << 20;
    private static final int INITIAL_ROWS = 1 << 16;

    private final String httpUrl;
    private final ClickHouseLogin login;
    private final String database;
    private final RetryPolicy retryPolicy;
    private final FeatureStatsJobConfig config;

    /** {@code login} null: the server's {@code default} user. The config gives each SAE's store policy. */
    public ClickHouseActivationsSink(
            String httpUrl,
            ClickHouseLogin login,
            String database,
            RetryPolicy retryPolicy,
            FeatureStatsJobConfig config) {
        this.httpUrl = httpUrl;
        this.login = login;
        this.database = database;
        this.retryPolicy = retryPolicy;
        this.config = config;
    }

    @Override
    public SinkWriter<SaeCodesBatch> createWriter(WriterInitContext context) {
        return new Writer(
                new RetryingInserter(
                        ClickHouseHttp.of(httpUrl, login),
                        database,
                        retryPolicy,
                        context.metricGroup().counter("activationsWritten"),
                        context.metricGroup().counter("clickhouseRetries")),
                config);
    }

    /** Buffers the kept activations of each batch, in both orders. */
    private static final class Writer implements SinkWriter<SaeCodesBatch> {
        private final RetryingInserter inserter;
        private final Map<String, StorePolicy> policies = new HashMap<>();
        private ActivationStoreRows rows = new ActivationStoreRows(INITIAL_ROWS);
        private int[] tokenFeatures = new int[256];
        private float[] tokenActivations = new float[256];

        Writer(RetryingInserter inserter, FeatureStatsJobConfig config) {
            this.inserter = inserter;
            for (SaeSpec sae : config.saes()) {
                policies.put(sae.saeId(), config.storePolicy(sae.saeId()));
            }
        }

        @Override
        public void write(SaeCodesBatch batch, Context context) throws InterruptedException {
            StorePolicy policy = policies.get(batch.saeId);
            if (policy == null) {
                throw new IllegalStateException(
                        "codes of SAE '" + batch.saeId + "', which is not one of the job's " + policies.keySet());
            }
            if (policy.storesNothing()) {
                return;
            }
            if (policy.storesEverything()) {
                // the batch's own arrays: no SparseCodes rebuilt just to be selected in full
                for (int r = 0; r < batch.rows(); r++) {
                    int from = batch.rowStart[r];
                    int count = batch.rowStart[r + 1] - from;
                    reserve(count);
                    System.arraycopy(batch.features, from, tokenFeatures, 0, count);
                    System.arraycopy(batch.values, from, tokenActivations, 0, count);
                    addToken(batch, r, count);
                }
            } else {
                SparseCodes kept = policy.select(batch.toSparseCodes());
                for (int r = 0; r < kept.rows(); r++) {
                    int count = kept.l0(r);
                    reserve(count);
                    for (int i = 0, k = kept.start(r); k < kept.end(r); i++, k++) {
                        tokenFeatures[i] = kept.feature(k);
                        tokenActivations[i] = kept.value(k);
                    }
                    addToken(batch, r, count);
                }
            }
            if (rows.bytes() >= MAX_BUFFERED_BYTES) {
                flush(false);
            }
        }

        private void reserve(int count) {
            if (count > tokenFeatures.length) {
                tokenFeatures = new int[count];
                tokenActivations = new float[count];
            }
        }

        /** Row {@code r} of {@code batch} with the first {@code count} entries of the token buffers. */
        private void addToken(SaeCodesBatch batch, int r, int count) {
            rows.addToken(
                    batch.runId,
                    batch.saeId,
                    batch.docIds[r],
                    batch.positions[r],
                    batch.tokenIds[r],
                    tokenFeatures,
                    tokenActivations,
                    count);
        }

        @Override
        public void flush(boolean endOfInput) throws InterruptedException {
            if (rows.count() == 0) {
                return; // every checkpoint flushes: keep the empty buffer
            }
            inserter.insert(rows.byFeature(), rows.byToken());
            rows = new ActivationStoreRows(INITIAL_ROWS);
        }

        @Override
        public void close() {}
    }
}

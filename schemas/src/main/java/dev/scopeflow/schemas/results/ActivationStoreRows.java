package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The activation store's two tables filled together, token by token, so that they always hold the same
 * activations: {@code feature_activations} gets one row per activation, {@code feature_activations_by_token} one
 * row per token.
 *
 * <p>Tokens are buffered as columns and written out, on the first call of {@link #byFeature()} or {@link
 * #byToken()}, in each table's own sort key order ({@code run_id, sae_id, feature, doc_id, position} and {@code
 * run_id, sae_id, doc_id, position}; strings compared as ClickHouse does, byte by byte in UTF-8). ClickHouse
 * checks whether an inserted block is already in key order and skips sorting it if so; sorting by two String
 * columns first took a third of the server's CPU under a job storing every activation. Counting sort by feature
 * makes the order cheap here. After that first call the rows are fixed: adding more is refused. Not thread-safe.
 */
public final class ActivationStoreRows {

    /** Bytes of a {@code feature_activations} row besides its two strings: feature, doc, position, token, value. */
    private static final int FEATURE_ROW_FIXED_BYTES = 4 + 8 + 4 + 4 + 4;
    /** Bytes of a {@code feature_activations_by_token} row besides its strings and arrays: doc, position, token. */
    private static final int TOKEN_ROW_FIXED_BYTES = 8 + 4 + 4;

    private final List<Owner> owners = new ArrayList<>();
    private final Map<Owner, Integer> ownerIndex = new HashMap<>();
    /** Per owner: bytes of its two strings in a RowBinary row. */
    private final List<Integer> ownerRowBytes = new ArrayList<>();

    // One entry per token: its owner (run and SAE), document, position, token id and its activations' range.
    private int tokenCount;
    private int[] tokenOwner;
    private long[] docIds;
    private long[] positions;
    private int[] tokenIds;
    private int[] firstActivation;

    private int activationCount;
    private int[] features;
    private float[] values;

    private int bytes;
    private FeatureActivationsRows byFeature;
    private FeatureActivationsByTokenRows byToken;

    public ActivationStoreRows(int expectedActivations) {
        int expectedTokens = Math.max(16, expectedActivations / 32);
        tokenOwner = new int[expectedTokens];
        docIds = new long[expectedTokens];
        positions = new long[expectedTokens];
        tokenIds = new int[expectedTokens];
        firstActivation = new int[expectedTokens + 1];
        features = new int[Math.max(16, expectedActivations)];
        values = new float[features.length];
    }

    /**
     * One token's stored activations: {@code features[0..count)} ascending, {@code activations[i]} the value of
     * {@code features[i]}. A token with none ({@code count} 0) has no row in either table.
     */
    public ActivationStoreRows addToken(
            String runId,
            String saeId,
            long docId,
            long position,
            int tokenId,
            int[] features,
            float[] activations,
            int count) {
        if (byFeature != null) {
            throw new IllegalStateException("the rows were already written out; start a new ActivationStoreRows");
        }
        if (count == 0) {
            return this;
        }
        for (int i = 1; i < count; i++) {
            if (features[i] <= features[i - 1]) {
                throw new IllegalArgumentException("features must ascend within a token: " + features[i] + " after "
                        + features[i - 1] + " at doc " + docId + " position " + position);
            }
        }
        if (features[0] < 0) {
            throw new IllegalArgumentException(
                    "feature " + features[0] + " < 0 at doc " + docId + " position " + position);
        }
        Owner owner = new Owner(runId, saeId);
        int ownerId = ownerIndex.computeIfAbsent(owner, o -> {
            owners.add(o);
            ownerRowBytes.add(o.rowBytes());
            return owners.size() - 1;
        });
        ensureTokenCapacity(tokenCount + 1);
        ensureActivationCapacity(activationCount + count);
        tokenOwner[tokenCount] = ownerId;
        docIds[tokenCount] = docId;
        positions[tokenCount] = position;
        tokenIds[tokenCount] = tokenId;
        firstActivation[tokenCount] = activationCount;
        System.arraycopy(features, 0, this.features, activationCount, count);
        System.arraycopy(activations, 0, this.values, activationCount, count);
        tokenCount++;
        activationCount += count;
        firstActivation[tokenCount] = activationCount;
        int ownerBytes = ownerRowBytes.get(ownerId);
        bytes += count * (ownerBytes + FEATURE_ROW_FIXED_BYTES)
                + ownerBytes
                + TOKEN_ROW_FIXED_BYTES
                + 2 * (varIntBytes(count) + 4 * count);
        return this;
    }

    /** Rows of {@code feature_activations}: one per activation, in the table's key order. */
    public FeatureActivationsRows byFeature() {
        writeOut();
        return byFeature;
    }

    /** Rows of {@code feature_activations_by_token}: one per token, in the table's key order. */
    public FeatureActivationsByTokenRows byToken() {
        writeOut();
        return byToken;
    }

    /** Activations buffered. */
    public int count() {
        return activationCount;
    }

    /** Bytes the rows of both tables take in RowBinary. */
    public int bytes() {
        return bytes;
    }

    /** Inserts both tables' rows, {@code feature_activations} first. */
    public void insertInto(ClickHouseHttp clickHouse, String database) {
        byFeature().insertInto(clickHouse, database);
        byToken().insertInto(clickHouse, database);
    }

    private void writeOut() {
        if (byFeature != null) {
            return;
        }
        byFeature = new FeatureActivationsRows(activationCount);
        byToken = new FeatureActivationsByTokenRows(tokenCount);
        int[] tokenOrder = tokensInKeyOrder();
        int[] row = new int[64];
        float[] rowValues = new float[64];
        for (int t : tokenOrder) {
            Owner owner = owners.get(tokenOwner[t]);
            int from = firstActivation[t];
            int count = firstActivation[t + 1] - from;
            if (count > row.length) {
                row = new int[count];
                rowValues = new float[count];
            }
            System.arraycopy(features, from, row, 0, count);
            System.arraycopy(values, from, rowValues, 0, count);
            byToken.add(owner.runId(), owner.saeId(), docIds[t], positions[t], tokenIds[t], row, rowValues, count);
        }
        // Per owner (tokens of one owner are contiguous in tokenOrder), a stable counting sort by feature keeps
        // each feature's tokens in (doc, position) order.
        for (int start = 0; start < tokenOrder.length; ) {
            int owner = tokenOwner[tokenOrder[start]];
            int end = start;
            int maxFeature = 0;
            while (end < tokenOrder.length && tokenOwner[tokenOrder[end]] == owner) {
                int t = tokenOrder[end++];
                maxFeature = Math.max(maxFeature, features[firstActivation[t + 1] - 1]);
            }
            writeByFeature(owners.get(owner), tokenOrder, start, end, maxFeature);
            start = end;
        }
    }

    /** {@code feature_activations} rows of the tokens {@code tokenOrder[start..end)}, all of one owner. */
    private void writeByFeature(Owner owner, int[] tokenOrder, int start, int end, int maxFeature) {
        int[] next = new int[maxFeature + 2];
        for (int i = start; i < end; i++) {
            int t = tokenOrder[i];
            for (int k = firstActivation[t]; k < firstActivation[t + 1]; k++) {
                next[features[k] + 1]++;
            }
        }
        for (int f = 1; f < next.length; f++) {
            next[f] += next[f - 1];
        }
        int[] activationOf = new int[next[next.length - 1]];
        int[] tokenOf = new int[activationOf.length];
        for (int i = start; i < end; i++) {
            int t = tokenOrder[i];
            for (int k = firstActivation[t]; k < firstActivation[t + 1]; k++) {
                int slot = next[features[k]]++;
                activationOf[slot] = k;
                tokenOf[slot] = t;
            }
        }
        for (int slot = 0; slot < activationOf.length; slot++) {
            int k = activationOf[slot];
            int t = tokenOf[slot];
            byFeature.add(owner.runId(), owner.saeId(), features[k], docIds[t], positions[t], tokenIds[t], values[k]);
        }
    }

    /** Token indices sorted by owner (run id, then SAE id, as UTF-8 bytes), document, position. */
    private int[] tokensInKeyOrder() {
        int[] ownerRank = new int[owners.size()];
        Integer[] byOwner = new Integer[owners.size()];
        Arrays.setAll(byOwner, i -> i);
        Arrays.sort(byOwner, Comparator.comparing(owners::get));
        for (int rank = 0; rank < byOwner.length; rank++) {
            ownerRank[byOwner[rank]] = rank;
        }
        Integer[] order = new Integer[tokenCount];
        Arrays.setAll(order, i -> i);
        Arrays.sort(
                order,
                Comparator.<Integer>comparingInt(t -> ownerRank[tokenOwner[t]])
                        .thenComparingLong(t -> docIds[t])
                        .thenComparingLong(t -> positions[t]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    private void ensureTokenCapacity(int needed) {
        if (needed > tokenOwner.length) {
            int size = Math.max(needed, tokenOwner.length * 2);
            tokenOwner = Arrays.copyOf(tokenOwner, size);
            docIds = Arrays.copyOf(docIds, size);
            positions = Arrays.copyOf(positions, size);
            tokenIds = Arrays.copyOf(tokenIds, size);
            firstActivation = Arrays.copyOf(firstActivation, size + 1);
        }
    }

    private void ensureActivationCapacity(int needed) {
        if (needed > features.length) {
            int size = Math.max(needed, features.length * 2);
            features = Arrays.copyOf(features, size);
            values = Arrays.copyOf(values, size);
        }
    }

    /** Bytes of RowBinary's length prefix (LEB128) for {@code n}. */
    private static int varIntBytes(int n) {
        int bytes = 1;
        while ((n >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }

    /** Whose activations a token's are; ordered as ClickHouse orders the two String key columns. */
    private record Owner(String runId, String saeId) implements Comparable<Owner> {

        @Override
        public int compareTo(Owner other) {
            int byRun = compareUtf8(runId, other.runId);
            return byRun != 0 ? byRun : compareUtf8(saeId, other.saeId);
        }

        /** Bytes of the two strings in a RowBinary row (each a length prefix and its UTF-8 bytes). */
        int rowBytes() {
            int run = runId.getBytes(StandardCharsets.UTF_8).length;
            int sae = saeId.getBytes(StandardCharsets.UTF_8).length;
            return varIntBytes(run) + run + varIntBytes(sae) + sae;
        }

        private static int compareUtf8(String a, String b) {
            return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
        }
    }
}

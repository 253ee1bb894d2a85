package dev.scopeflow.flink.config;

import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.stats.TokenFilter;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.RunId;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one statistics job computes: the run whose activations it reads, the SAEs it applies, which tokens
 * are left out of statistics, how many top examples it keeps, and how often it publishes snapshots. Build
 * with {@link #builder()}.
 */
public final class FeatureStatsJobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String runId;
    private final List<SaeSpec> saes;
    private final int[] excludedTokenIds;
    private final long snapshotIntervalMillis;
    private final int topK;
    private final MatmulBackend backend;

    private FeatureStatsJobConfig(Builder b) {
        this.runId = b.runId;
        this.saes = List.copyOf(b.saes);
        this.excludedTokenIds = b.excludedTokenIds == null
                ? null
                : b.excludedTokenIds.stream()
                        .mapToInt(Integer::intValue)
                        .sorted()
                        .toArray();
        this.snapshotIntervalMillis = b.snapshotInterval.toMillis();
        this.topK = b.topK;
        this.backend = b.backend;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String runId() {
        return runId;
    }

    public List<SaeSpec> saes() {
        return saes;
    }

    public long snapshotIntervalMillis() {
        return snapshotIntervalMillis;
    }

    public int topK() {
        return topK;
    }

    public MatmulBackend backend() {
        return backend;
    }

    /**
     * Which tokens count (default: all but Gemma's pad, EOS and BOS, which Gemma Scope SAEs were not trained
     * on); built where it is used, as the filter itself does not travel with the job graph.
     */
    public TokenFilter tokenFilter() {
        return excludedTokenIds == null ? TokenFilter.gemmaDefault() : TokenFilter.excluding(excludedTokenIds);
    }

    /** Builder: {@code set*} are required, {@code opt*} have defaults; {@link #build()} validates. */
    public static final class Builder {
        private String runId;
        private final List<SaeSpec> saes = new ArrayList<>();
        private Set<Integer> excludedTokenIds;
        private Duration snapshotInterval = Duration.ZERO;
        private int topK = TopExamples.DEFAULT_K;
        private MatmulBackend backend = MatmulBackend.JAVA;

        private Builder() {}

        public Builder setRunId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder addSae(SaeSpec sae) {
            saes.add(sae);
            return this;
        }

        /** Token ids left out of every statistic; default {@link TokenFilter#gemmaDefault()}. */
        public Builder optExcludedTokenIds(Set<Integer> ids) {
            this.excludedTokenIds = new HashSet<>(ids);
            return this;
        }

        /** How often to publish snapshots while running; zero (default) publishes only at end of input. */
        public Builder optSnapshotInterval(Duration interval) {
            this.snapshotInterval = interval;
            return this;
        }

        /** Top-activating examples kept per feature; default {@value TopExamples#DEFAULT_K}. */
        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        /**
         * The encode kernel; default JAVA, which needs no native code on the task managers. TORCH (DJL
         * libtorch) is faster but needs DJL on the cluster's classpath; both agree to float rounding only, so
         * a run should keep one backend throughout.
         */
        public Builder optBackend(MatmulBackend backend) {
            this.backend = java.util.Objects.requireNonNull(backend, "backend");
            return this;
        }

        public FeatureStatsJobConfig build() {
            RunId.validate(runId);
            if (saes.isEmpty()) {
                throw new IllegalArgumentException("run " + runId + ": at least one SAE is required");
            }
            Set<String> ids = new HashSet<>();
            for (SaeSpec sae : saes) {
                if (!ids.add(sae.saeId())) {
                    throw new IllegalArgumentException("run " + runId + ": SAE id '" + sae.saeId() + "' is used twice");
                }
            }
            if (topK <= 0) {
                throw new IllegalArgumentException("run " + runId + ": top-k must be > 0, got " + topK);
            }
            if (snapshotInterval.isNegative()) {
                throw new IllegalArgumentException("snapshot interval must be >= 0, got " + snapshotInterval);
            }
            return new FeatureStatsJobConfig(this);
        }
    }
}

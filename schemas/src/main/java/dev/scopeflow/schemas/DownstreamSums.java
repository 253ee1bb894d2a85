package dev.scopeflow.schemas;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model-in-the-loop evaluation of one SAE over some token windows, as mergeable sums: the number of counted
 * predictions (positions t whose next token t + 1 is real) and float64 sums over them of the cross-entropy of the
 * next token under the clean model, with the SAE's reconstruction spliced in and with the site zeroed, and of
 * KL(clean ‖ sae) and KL(clean ‖ zero). Sums of windows {@link #plus} into sums of a run in any order, so the
 * offline {@code scopeflow eval} and a streaming aggregation compute the same metrics from the same windows.
 */
public record DownstreamSums(
        long nPredictions, double sumCeClean, double sumCeSae, double sumCeZero, double sumKlSae, double sumKlZero) {

    /** The metric names {@link #metrics()} writes, in order (the JSON fields of {@code downstream.json}). */
    public static final String[] METRIC_NAMES = {
        "ce_clean",
        "ce_sae",
        "ce_zero",
        "delta_lm_loss",
        "ce_loss_recovered",
        "kl_sae",
        "kl_zero",
        "kl_div_score",
        "n_predictions"
    };

    public static final DownstreamSums EMPTY = new DownstreamSums(0, 0, 0, 0, 0, 0);

    public DownstreamSums {
        if (nPredictions < 0) {
            throw new IllegalArgumentException("nPredictions must be >= 0, got " + nPredictions);
        }
    }

    public DownstreamSums plus(DownstreamSums other) {
        return new DownstreamSums(
                nPredictions + other.nPredictions,
                sumCeClean + other.sumCeClean,
                sumCeSae + other.sumCeSae,
                sumCeZero + other.sumCeZero,
                sumKlSae + other.sumKlSae,
                sumKlZero + other.sumKlZero);
    }

    /** Mean CE of the clean model; NaN without predictions. */
    public double ceClean() {
        return sumCeClean / nPredictions;
    }

    public double ceSae() {
        return sumCeSae / nPredictions;
    }

    public double ceZero() {
        return sumCeZero / nPredictions;
    }

    /** {@code ce_sae − ce_clean}: what splicing the SAE in costs the language model. */
    public double deltaLmLoss() {
        return ceSae() - ceClean();
    }

    /** {@code (ce_zero − ce_sae) / (ce_zero − ce_clean)}: 1 is as good as the clean model, 0 as bad as zeroing. */
    public double ceLossRecovered() {
        return (ceZero() - ceSae()) / (ceZero() - ceClean());
    }

    public double klSae() {
        return sumKlSae / nPredictions;
    }

    public double klZero() {
        return sumKlZero / nPredictions;
    }

    /** {@code (kl_zero − kl_sae) / kl_zero}. */
    public double klDivScore() {
        return (klZero() - klSae()) / klZero();
    }

    /** The metrics under {@link #METRIC_NAMES}; a value that is not finite (no predictions, 0/0) is null. */
    public Map<String, Object> metrics() {
        double[] values = {
            ceClean(), ceSae(), ceZero(), deltaLmLoss(), ceLossRecovered(), klSae(), klZero(), klDivScore()
        };
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            out.put(METRIC_NAMES[i], Double.isFinite(values[i]) ? values[i] : null);
        }
        out.put(METRIC_NAMES[values.length], nPredictions);
        return out;
    }
}

package dev.scopeflow.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The model-in-the-loop sums of one context window of a document, one entry per SAE the producer evaluated, on
 * the evaluations topic ({@link TopicNames#evaluations()}, keyed by {@link TopicNames#docKey}). A job adds the
 * windows of a run per SAE ({@link DownstreamSums#plus}), which gives exactly what {@code scopeflow eval} reports
 * for the same windows. On the wire it is a JSON object (schemas/README.md documents the fields; doubles are
 * written in their shortest exact form, so sums survive the trip bit for bit); this class is the one place that
 * format is written and read.
 */
public record WindowEvaluation(String runId, long docId, int window, List<Entry> saes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String[] SUM_FIELDS = {"sum_ce_clean", "sum_ce_sae", "sum_ce_zero", "sum_kl_sae", "sum_kl_zero"
    };

    /** One SAE's sums over the window. */
    public record Entry(String saeId, Site site, DownstreamSums sums) {
        public Entry {
            Objects.requireNonNull(saeId, "saeId");
            Objects.requireNonNull(site, "site");
            Objects.requireNonNull(sums, "sums");
        }
    }

    public WindowEvaluation {
        RunId.validate(runId);
        saes = List.copyOf(saes);
        if (saes.isEmpty()) {
            throw new IllegalArgumentException("window " + window + " of document " + docId + ": no SAE evaluated");
        }
        Set<String> ids = new HashSet<>();
        for (Entry e : saes) {
            if (!ids.add(e.saeId())) {
                throw new IllegalArgumentException(
                        "window " + window + " of document " + docId + ": SAE '" + e.saeId() + "' appears twice");
            }
            double[] sums = sums(e.sums());
            for (int i = 0; i < sums.length; i++) {
                if (!Double.isFinite(sums[i])) {
                    throw new IllegalArgumentException("window " + window + " of document " + docId + ", SAE '"
                            + e.saeId() + "': " + SUM_FIELDS[i] + " is " + sums[i]);
                }
            }
        }
    }

    /** The JSON form: run_id, doc_id, window and saes, a list of {sae_id, site, n_predictions, sum_*}. */
    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("run_id", runId);
        node.put("doc_id", docId);
        node.put("window", window);
        ArrayNode list = node.putArray("saes");
        for (Entry e : saes) {
            ObjectNode sae = list.addObject();
            sae.put("sae_id", e.saeId());
            sae.put("site", e.site().toString());
            sae.put("n_predictions", e.sums().nPredictions());
            double[] sums = sums(e.sums());
            for (int i = 0; i < sums.length; i++) {
                sae.put(SUM_FIELDS[i], sums[i]);
            }
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the evaluation of window " + window + " of " + docId, e);
        }
    }

    /** Reads {@link #toJson()}'s form; the error names the field that is missing or malformed. */
    public static WindowEvaluation fromJson(byte[] json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("evaluation record is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("evaluation record is not a JSON object");
        }
        JsonNode list = node.get("saes");
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("evaluation record has no saes array");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode sae = list.get(i);
            String where = "saes[" + i + "]";
            long n = integral(sae, "n_predictions", where);
            double[] sums = new double[SUM_FIELDS.length];
            for (int f = 0; f < sums.length; f++) {
                JsonNode v = required(sae, SUM_FIELDS[f], where);
                if (!v.isNumber()) {
                    throw new IllegalArgumentException(
                            "evaluation record " + where + "." + SUM_FIELDS[f] + " is not a number: " + v);
                }
                sums[f] = v.doubleValue();
            }
            Site site;
            try {
                site = Site.parse(required(sae, "site", where).asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("evaluation record " + where + ".site: " + e.getMessage(), e);
            }
            entries.add(new Entry(
                    required(sae, "sae_id", where).asText(),
                    site,
                    new DownstreamSums(n, sums[0], sums[1], sums[2], sums[3], sums[4])));
        }
        try {
            return new WindowEvaluation(
                    required(node, "run_id", "").asText(),
                    integral(node, "doc_id", ""),
                    Math.toIntExact(integral(node, "window", "")),
                    entries);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("evaluation record window is out of range: " + node.get("window"), e);
        }
    }

    private static double[] sums(DownstreamSums s) {
        return new double[] {s.sumCeClean(), s.sumCeSae(), s.sumCeZero(), s.sumKlSae(), s.sumKlZero()};
    }

    private static long integral(JsonNode node, String field, String where) {
        JsonNode v = required(node, field, where);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(
                    "evaluation record " + prefix(where) + field + " is not an integer: " + v);
        }
        return v.longValue();
    }

    private static JsonNode required(JsonNode node, String field, String where) {
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("evaluation record has no " + prefix(where) + field);
        }
        return value;
    }

    private static String prefix(String where) {
        return where.isEmpty() ? "" : where + ".";
    }
}

package dev.scopeflow.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;

/**
 * One document of a run on the corpus topic ({@link TopicNames#corpus()}, keyed by {@link TopicNames#docKey}), as
 * {@code scopeflow enqueue} read it from the corpus: its id (the ordinal {@code produce} gives it, skipped records
 * included), its text and where it came from ({@code file:line} or the file of a directory corpus). Workers turn it
 * into token windows and activations exactly as {@code produce} does a document it reads itself. On the wire it is
 * a JSON object (schemas/README.md documents the fields); this class is the one place that format is written and
 * read.
 */
public record CorpusDocument(String runId, long docId, String text, String source) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public CorpusDocument {
        RunId.validate(runId);
        if (docId < 0) {
            throw new IllegalArgumentException("corpus document id must be >= 0, got " + docId);
        }
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(source, "source");
    }

    /** The JSON form: run_id, doc_id, text, source. */
    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("run_id", runId);
        node.put("doc_id", docId);
        node.put("text", text);
        node.put("source", source);
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode corpus document " + docId, e);
        }
    }

    /** Reads {@link #toJson()}'s form; the error names the field that is missing or malformed. */
    public static CorpusDocument fromJson(byte[] json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("corpus record is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("corpus record is not a JSON object");
        }
        JsonNode docId = required(node, "doc_id");
        if (!docId.isIntegralNumber() || !docId.canConvertToLong()) {
            throw new IllegalArgumentException("corpus record doc_id is not an integer: " + docId);
        }
        String runId = string(node, "run_id");
        String text = string(node, "text");
        String source = string(node, "source");
        try {
            return new CorpusDocument(runId, docId.longValue(), text, source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("corpus record: " + e.getMessage(), e);
        }
    }

    private static String string(JsonNode node, String field) {
        JsonNode value = required(node, field);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("corpus record " + field + " is not a string: " + value);
        }
        return value.asText();
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("corpus record has no " + field);
        }
        return value;
    }
}

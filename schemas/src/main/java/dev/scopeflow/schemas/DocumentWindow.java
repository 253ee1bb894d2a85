package dev.scopeflow.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;

/**
 * One context window of a document on the documents topic ({@link TopicNames#documents()}, keyed by
 * {@link TopicNames#docKey}): the token ids the model saw for document positions {@code firstPosition ..},
 * so a top example can be shown in context. The first window also carries the document's text and source,
 * possibly truncated. On the wire it is a JSON object (schemas/README.md documents the fields); this class is
 * the one place that format is written and read.
 */
public record DocumentWindow(
        String runId,
        long docId,
        int window,
        int firstPosition,
        int[] tokenIds,
        String text,
        String source,
        boolean textTruncated) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public DocumentWindow {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(tokenIds, "tokenIds");
    }

    /** The JSON form: run_id, doc_id, window, first_position, token_ids and, when present, text/text_truncated/source. */
    public byte[] toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("run_id", runId);
        node.put("doc_id", docId);
        node.put("window", window);
        node.put("first_position", firstPosition);
        ArrayNode ids = node.putArray("token_ids");
        for (int id : tokenIds) {
            ids.add(id);
        }
        if (text != null) {
            node.put("text", text);
            node.put("text_truncated", textTruncated);
            node.put("source", source);
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode window " + window + " of document " + docId, e);
        }
    }

    /** Reads {@link #toJson()}'s form; the error says which field is missing or malformed. */
    public static DocumentWindow fromJson(byte[] json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("document record is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("document record is not a JSON object");
        }
        JsonNode ids = node.get("token_ids");
        if (ids == null || !ids.isArray()) {
            throw new IllegalArgumentException("document record has no token_ids array");
        }
        int[] tokenIds = new int[ids.size()];
        for (int i = 0; i < tokenIds.length; i++) {
            if (!ids.get(i).canConvertToInt()) {
                throw new IllegalArgumentException("document record token_ids[" + i + "] is not an int: " + ids.get(i));
            }
            tokenIds[i] = ids.get(i).intValue();
        }
        JsonNode text = node.get("text");
        JsonNode source = node.get("source");
        return new DocumentWindow(
                required(node, "run_id").asText(),
                required(node, "doc_id").asLong(),
                required(node, "window").asInt(),
                required(node, "first_position").asInt(),
                tokenIds,
                text == null || text.isNull() ? null : text.asText(),
                source == null || source.isNull() ? null : source.asText(),
                node.path("text_truncated").asBoolean(false));
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("document record has no " + field);
        }
        return value;
    }
}

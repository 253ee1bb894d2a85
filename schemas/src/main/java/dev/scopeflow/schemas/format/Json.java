package dev.scopeflow.schemas.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one JSON reader for file formats (safetensors headers, SAELens cfg.json, token lists, checkpoint indexes).
 * It accepts the NaN and Infinity that Python's {@code json.dump} writes for non-finite floats. An
 * {@link ObjectReader} is immutable, so sharing one is safe.
 */
public final class Json {

    private static final ObjectReader READER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build()
            .reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /** Parses a whole document; trailing content after the first value is an error. */
    public static JsonNode parse(String text) throws JsonProcessingException {
        return READER.readTree(text);
    }

    /** Reads a JSON file (UTF-8); malformed JSON is a {@link JsonProcessingException}, see {@link #problem}. */
    public static JsonNode read(Path file) throws IOException {
        return READER.readTree(Files.readAllBytes(file));
    }

    /**
     * Reads a JSON file whose malformation is a format error: "{file}: {malformed}: {problem}", e.g.
     * {@code read(cfg, "malformed cfg.json")}.
     */
    public static JsonNode read(Path file, String malformed) throws IOException {
        try {
            return read(file);
        } catch (JsonProcessingException e) {
            throw new FileFormatException(file + ": " + malformed + ": " + problem(e), e);
        }
    }

    /** Jackson's message without its source excerpt, plus the line and column: short enough for one error line. */
    public static String problem(JsonProcessingException e) {
        var where = e.getLocation();
        return e.getOriginalMessage()
                + (where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr());
    }
}

package dev.scopeflow.schemas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow schema v1 of an {@link ActivationBatch} (field-by-field description in schemas/README.md).
 *
 * <p>What is constant for a batch (run, model, site, width, dtype) travels once, as schema metadata;
 * only per-row data is a column: {@code doc_id} Int64, {@code position} Int32, {@code token_id} Int32 and
 * {@code activations}, which is
 * <ul>
 *   <li>f32: {@code FixedSizeList<width>} of Float32 — the natural type for pyarrow/numpy readers;</li>
 *   <li>bf16: {@code FixedSizeBinary(2*width)} holding the raw little-endian bf16 bits of the row. A
 *       FixedSizeList of Int16 would look tidier but Arrow writes a child validity bitmap (1 bit per value,
 *       +6 % on the wire); FixedSizeBinary keeps bf16 at exactly 2 bytes per value.</li>
 * </ul>
 * The activations field also carries {@value #FIELD_DTYPE_KEY} so the column is self-describing.
 * All columns are non-nullable.
 */
public final class ActivationBatchSchema {

    /** Written as {@value #KEY_SCHEMA_VERSION}; a reader rejects versions it does not know. */
    public static final int VERSION = 1;

    public static final String KEY_SCHEMA_VERSION = "scopeflow.schema_version";
    public static final String KEY_RUN_ID = "scopeflow.run_id";
    public static final String KEY_MODEL_ID = "scopeflow.model_id";
    public static final String KEY_SITE_KIND = "scopeflow.site_kind";
    public static final String KEY_SITE_LAYER = "scopeflow.site_layer";
    public static final String KEY_WIDTH = "scopeflow.width";
    public static final String KEY_DTYPE = "scopeflow.dtype";

    /** Field-level metadata key on {@link #ACTIVATIONS}: {@code f32} or {@code bf16}. */
    public static final String FIELD_DTYPE_KEY = "scopeflow.dtype";

    public static final String DOC_ID = "doc_id";
    public static final String POSITION = "position";
    public static final String TOKEN_ID = "token_id";
    public static final String ACTIVATIONS = "activations";
    /** Name of the Float32 child of the f32 list (Arrow's conventional list item name). */
    public static final String ACTIVATION_ITEM = "item";

    private ActivationBatchSchema() {}

    /** The four columns for a batch of this width and dtype, without batch metadata. */
    public static List<Field> fields(int width, ActivationDtype dtype) {
        Objects.requireNonNull(dtype, "dtype");
        if (width <= 0) {
            throw new IllegalArgumentException("activation width must be > 0, got " + width);
        }
        return List.of(
                column(DOC_ID, new ArrowType.Int(64, true)),
                column(POSITION, new ArrowType.Int(32, true)),
                column(TOKEN_ID, new ArrowType.Int(32, true)),
                activationsField(width, dtype));
    }

    /** The full schema of one batch: {@link #fields} plus the batch-level metadata. */
    public static Schema schema(String runId, String modelId, Site site, int width, ActivationDtype dtype) {
        return new Schema(fields(width, dtype), metadata(runId, modelId, site, width, dtype));
    }

    /** Batch-level schema metadata, in a stable order. */
    public static Map<String, String> metadata(
            String runId, String modelId, Site site, int width, ActivationDtype dtype) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_SCHEMA_VERSION, Integer.toString(VERSION));
        metadata.put(KEY_RUN_ID, Objects.requireNonNull(runId, "runId"));
        metadata.put(KEY_MODEL_ID, Objects.requireNonNull(modelId, "modelId"));
        metadata.put(KEY_SITE_KIND, Objects.requireNonNull(site, "site").kind().code());
        metadata.put(KEY_SITE_LAYER, Integer.toString(site.layer()));
        metadata.put(KEY_WIDTH, Integer.toString(width));
        metadata.put(KEY_DTYPE, Objects.requireNonNull(dtype, "dtype").code());
        return metadata;
    }

    private static Field activationsField(int width, ActivationDtype dtype) {
        Map<String, String> fieldMetadata = Map.of(FIELD_DTYPE_KEY, dtype.code());
        return switch (dtype) {
            case F32 ->
                new Field(
                        ACTIVATIONS,
                        new FieldType(false, new ArrowType.FixedSizeList(width), null, fieldMetadata),
                        List.of(column(ACTIVATION_ITEM, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE))));
            case BF16 ->
                new Field(
                        ACTIVATIONS,
                        new FieldType(
                                false,
                                new ArrowType.FixedSizeBinary(Math.multiplyExact(width, 2)),
                                null,
                                fieldMetadata),
                        null);
        };
    }

    private static Field column(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }
}

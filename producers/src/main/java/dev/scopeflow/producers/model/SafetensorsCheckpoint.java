package dev.scopeflow.producers.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scopeflow.schemas.format.Json;
import dev.scopeflow.schemas.format.SafetensorsFile;
import dev.scopeflow.schemas.format.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of an HF checkpoint directory: either one {@code model.safetensors} or the shards named by
 * {@code model.safetensors.index.json}'s {@code weight_map}, read through schemas' one {@link SafetensorsFile}.
 * Every shard is opened (and its header validated) up front, so a missing or corrupt shard fails before any weight
 * is loaded. The model loader works in unchecked {@link CheckpointException}s; this is where file errors become
 * them, message unchanged.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsCheckpoint(Path directory, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.directory = directory;
        this.files = files;
        this.tensors = tensors;
    }

    public static SafetensorsCheckpoint open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(directory, index);
        }
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = openFile(single);
            return new SafetensorsCheckpoint(directory, List.of(file), file.tensors());
        }
        throw new CheckpointException(directory + ": no " + SINGLE_FILE + " or " + INDEX_FILE
                + " (expected a Hugging Face checkpoint directory)");
    }

    private static SafetensorsCheckpoint openSharded(Path directory, Path index) {
        JsonNode weightMap;
        try {
            weightMap = Json.read(index).get("weight_map");
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new CheckpointException(index + ": field 'weight_map' is missing or empty");
        }
        // shard file -> one tensor it should hold (for the error message)
        Map<String, String> shards = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
            }
            shards.putIfAbsent(e.getValue().asText(), e.getKey());
        }
        for (Map.Entry<String, String> shard : shards.entrySet()) {
            Path shardPath = directory.resolve(shard.getKey());
            if (!Files.isRegularFile(shardPath)) {
                throw new CheckpointException(index + " names shard " + shard.getKey() + " (holding e.g. '"
                        + shard.getValue() + "'), but " + shardPath + " is missing");
            }
        }
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (String shard : shards.keySet()) {
                SafetensorsFile file = openFile(directory.resolve(shard));
                files.add(file);
                byName.put(shard, file);
            }
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
                TensorInfo info = byName.get(e.getValue().asText()).tensors().get(e.getKey());
                if (info == null) {
                    throw new CheckpointException(index + " maps tensor '" + e.getKey() + "' to "
                            + e.getValue().asText() + ", whose header does not contain it");
                }
                tensors.put(e.getKey(), info);
            }
            return new SafetensorsCheckpoint(directory, List.copyOf(files), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static SafetensorsFile openFile(Path file) {
        try {
            return SafetensorsFile.open(file);
        } catch (IOException e) {
            throw asCheckpointError(file, e);
        }
    }

    private static CheckpointException asCheckpointError(Path file, IOException e) {
        // format errors already name the file; plain I/O errors get it added
        String message = e.getMessage() != null && e.getMessage().startsWith(file.toString())
                ? e.getMessage()
                : file + ": cannot read safetensors file: " + e.getMessage();
        return new CheckpointException(message, e);
    }

    public Path directory() {
        return directory;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor, or an error naming it and the checkpoint; its dtype must be one the reader widens. */
    public TensorInfo tensor(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException(directory + ": checkpoint has no tensor '" + name + "'");
        }
        try {
            info.readableDtype();
        } catch (IOException e) {
            throw asCheckpointError(info.file(), e);
        }
        return info;
    }

    /** Widens {@code into.remaining()} elements of {@code tensor} from {@code firstElement} into {@code into}. */
    public void read(TensorInfo tensor, long firstElement, FloatBuffer into) {
        for (SafetensorsFile file : files) {
            if (file.file().equals(tensor.file())) {
                try {
                    file.read(tensor, firstElement, into);
                } catch (IOException e) {
                    throw asCheckpointError(file.file(), e);
                }
                return;
            }
        }
        throw new IllegalArgumentException(tensor + " does not belong to checkpoint " + directory);
    }

    /** Reads a whole tensor into a new float array (for small tensors and tests). */
    public float[] readAll(String name) {
        TensorInfo info = tensor(name);
        long n = info.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(info + " has too many elements for one Java array; read it in slices");
        }
        float[] out = new float[(int) n];
        read(info, 0, FloatBuffer.wrap(out));
        return out;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}

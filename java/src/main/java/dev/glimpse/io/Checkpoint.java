package dev.glimpse.io;

import dev.glimpse.model.ModelConfig;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face model directory opened for inference: its config and its safetensors weights,
 * memory-mapped in one arena that lives until {@link #close}. Weights are found by their classic
 * names ({@code model.layers.N.*}, {@code model.embed_tokens.weight}, {@code model.norm.weight},
 * {@code lm_head.weight}, {@code visual.*}); checkpoints saved by transformers 4.52–4.57 as
 * {@code model.language_model.*} and {@code model.visual.*} are renamed to those on open.
 *
 * <p>With tied embeddings (config tie_word_embeddings), {@code lm_head.weight} is the token
 * embedding, as transformers ties it, whether or not the file also stores a copy.
 */
public final class Checkpoint implements AutoCloseable {

    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";
    private static final String LM_HEAD = "lm_head.weight";
    private static final String EMBED = "model.embed_tokens.weight";
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

    /** Where a canonical name is stored. */
    private record Stored(SafetensorsFile file, String storedName) {}

    private final Path dir;
    private final ModelConfig config;
    private final Arena arena;
    private final List<SafetensorsFile> files;
    private final Map<String, Stored> tensors;

    private Checkpoint(Path dir, ModelConfig config, Arena arena, List<SafetensorsFile> files,
            Map<String, Stored> tensors) {
        this.dir = dir;
        this.config = config;
        this.arena = arena;
        this.files = files;
        this.tensors = tensors;
    }

    public static Checkpoint open(Path dir) {
        return open(dir, LoadProgress.NONE);
    }

    /**
     * Reads the config and validates and maps every weight file: model.safetensors, or the shards
     * named by model.safetensors.index.json, or (neither present) every *.safetensors in dir as long
     * as no tensor name appears twice. Progress counts the bytes of files validated and mapped.
     */
    public static Checkpoint open(Path modelDir, LoadProgress progress) {
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + " is not a directory: give the directory of a Hugging Face checkpoint");
        }
        ModelConfig config = ModelConfig.load(dir);
        Arena arena = Arena.ofShared();
        try {
            Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
            Map<String, Stored> tensors = new TreeMap<>();
            if (Files.isRegularFile(dir.resolve(INDEX_FILE))) {
                openSharded(dir, arena, progress, files, tensors);
            } else {
                List<Path> paths = Files.isRegularFile(dir.resolve(SINGLE_FILE))
                        ? List.of(dir.resolve(SINGLE_FILE)) : safetensorsIn(dir);
                openAll(paths, arena, progress, files);
                for (SafetensorsFile f : files.values()) {
                    for (String name : f.names()) {
                        put(tensors, name, new Stored(f, name));
                    }
                }
            }
            return new Checkpoint(dir, config, arena, List.copyOf(files.values()), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The checkpoint's tensor under its canonical name; missing or unusable dtype: an exception saying why. */
    public Tensor tensor(String canonicalName) {
        return find(canonicalName).orElseThrow(() -> new CheckpointException("checkpoint " + dir + " has no tensor "
                + canonicalName + " (expected for " + purpose(canonicalName) + "; it has " + tensors.size()
                + " tensors" + (tensors.isEmpty() ? "" : ", e.g. " + tensors.keySet().iterator().next()) + ")"));
    }

    /** The tensor if the checkpoint has it; a stored dtype Glimpse cannot compute with is an exception. */
    public Optional<Tensor> find(String canonicalName) {
        String name = canonicalName.equals(LM_HEAD) && config.text().tieWordEmbeddings() ? EMBED : canonicalName;
        Stored s = tensors.get(name);
        return s == null ? Optional.empty() : Optional.of(s.file().tensor(s.storedName(), name));
    }

    /** Canonical names of the stored tensors, sorted; tensors of every dtype are listed. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public int tensorCount() {
        return tensors.size();
    }

    /** Bytes of weights per usable dtype (tensors of other dtypes are not counted). */
    public Map<DType, Long> bytesByDtype() {
        Map<DType, Long> bytes = new EnumMap<>(DType.class);
        for (Stored s : tensors.values()) {
            TensorInfo info = s.file().info(s.storedName());
            if (info.dtype() != null) {
                bytes.merge(info.dtype(), info.byteSize(), Long::sum);
            }
        }
        return Collections.unmodifiableMap(bytes);
    }

    public ModelConfig config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Reads every weight page into memory now (mapping is lazy), reporting progress, so the first
     * token does not pay for the disk. Optional: without it pages load on first use.
     */
    public void prefault(LoadProgress progress) {
        long total = files.stream().mapToLong(SafetensorsFile::dataSize).sum();
        long done = 0;
        final long chunk = 64L << 20;
        for (SafetensorsFile f : files) {
            for (long at = 0; at < f.dataSize(); at += chunk) {
                long to = Math.min(f.dataSize(), at + chunk);
                f.prefault(at, to);
                done += to - at;
                progress.update(done, total, f.path());
            }
        }
    }

    /** Unmaps every file; tensors handed out before become unusable. */
    @Override
    public void close() {
        arena.close();
    }

    private static void openSharded(Path dir, Arena arena, LoadProgress progress, Map<Path, SafetensorsFile> files,
            Map<String, Stored> tensors) {
        JsonFields index = JsonFields.read(dir.resolve(INDEX_FILE));
        JsonFields weightMap = index.object("weight_map").orElseThrow(() -> index.error("weight_map", "is missing"));
        Map<String, Path> shardOf = new LinkedHashMap<>();
        for (String name : weightMap.names()) {
            String shard = weightMap.string(name);
            Path path = dir.resolve(shard).normalize();
            if (!dir.equals(path.getParent())) {
                throw weightMap.error(name, "names shard " + shard + ", which is not a file name in " + dir);
            }
            if (!Files.isRegularFile(path)) {
                throw weightMap.error(name, "names shard " + shard + ", which is missing from " + dir);
            }
            shardOf.put(name, path);
        }
        openAll(shardOf.values().stream().distinct().sorted().toList(), arena, progress, files);
        for (Map.Entry<String, Path> e : shardOf.entrySet()) {
            SafetensorsFile f = files.get(e.getValue());
            if (!f.names().contains(e.getKey())) {
                throw new CheckpointException(dir.resolve(INDEX_FILE) + " puts tensor " + e.getKey() + " in "
                        + e.getValue().getFileName() + ", but that shard does not contain it");
            }
            put(tensors, e.getKey(), new Stored(f, e.getKey()));
        }
    }

    private static void openAll(List<Path> paths, Arena arena, LoadProgress progress, Map<Path, SafetensorsFile> out) {
        long total = 0;
        for (Path p : paths) {
            total += sizeOf(p);
        }
        long done = 0;
        for (Path p : paths) {
            out.put(p, SafetensorsFile.open(p, arena));
            done += sizeOf(p);
            progress.update(done, total, p);
        }
    }

    private static List<Path> safetensorsIn(Path dir) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.safetensors")) {
            stream.forEach(found::add);
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + dir + ": " + e, e);
        }
        if (found.isEmpty()) {
            throw new CheckpointException(dir + " has no " + SINGLE_FILE + ", " + INDEX_FILE
                    + " or other *.safetensors file: is it a Hugging Face checkpoint?");
        }
        Collections.sort(found);
        return found;
    }

    /** Adds a tensor under its canonical name; two stored names for one canonical name is an error. */
    private static void put(Map<String, Stored> tensors, String storedName, Stored where) {
        String name = canonicalName(storedName);
        Stored before = tensors.putIfAbsent(name, where);
        if (before != null) {
            throw new CheckpointException("tensors " + before.storedName() + " in " + before.file().path() + " and "
                    + storedName + " in " + where.file().path() + " are both " + name
                    + ": the checkpoint is ambiguous (add a " + INDEX_FILE + " or remove one file)");
        }
    }

    /** model.language_model.X → model.X and model.visual.X → visual.X; classic names stay. */
    static String canonicalName(String storedName) {
        if (storedName.startsWith("model.language_model.")) {
            return "model." + storedName.substring("model.language_model.".length());
        }
        if (storedName.startsWith("model.visual.")) {
            return storedName.substring("model.".length());
        }
        return storedName;
    }

    private String purpose(String name) {
        Matcher layer = LAYER.matcher(name);
        if (layer.matches()) {
            return "text decoder layer " + layer.group(1) + " of " + config.text().layers();
        }
        if (name.startsWith("visual.")) {
            return "the vision tower";
        }
        return switch (name) {
            case LM_HEAD -> "the output head, since config.json has tie_word_embeddings false";
            case EMBED -> "the token embedding";
            case "model.norm.weight" -> "the final norm of the text decoder";
            default -> "the model";
        };
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + p + ": " + e, e);
        }
    }
}

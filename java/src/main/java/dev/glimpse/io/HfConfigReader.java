package dev.glimpse.io;

import dev.glimpse.model.ModelConfig;
import dev.glimpse.model.PreprocessorConfig;
import dev.glimpse.model.TextConfig;
import dev.glimpse.model.VisionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reads a Hugging Face model directory's config.json, generation_config.json and
 * preprocessor_config.json into a validated {@link ModelConfig}.
 *
 * <p>config.json comes in two dialects (SPEC §1). transformers 4.x: text fields at the top level,
 * {@code rope_theta} beside {@code rope_scaling}, {@code in_chans}, {@code torch_dtype}.
 * transformers 5.x: text fields under {@code text_config}, {@code rope_parameters} holding
 * {@code rope_theta}, {@code in_channels}, {@code dtype}. Saves from 4.53 on carry both; as in
 * transformers 5, a present {@code text_config} is read alone and the flat copies are ignored.
 * M-RoPE is recognised by the presence of {@code mrope_section}, whatever the rope "type" says.
 */
public final class HfConfigReader {

    // Qwen2.5-VL's values for fields a config may leave out.
    private static final double DEFAULT_ROPE_THETA = 1_000_000.0;
    private static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    private static final int DEFAULT_MAX_POSITIONS = 128_000;
    private static final int[] DEFAULT_FULL_ATT_BLOCKS = {7, 15, 23, 31};

    private HfConfigReader() {}

    public static ModelConfig read(Path modelDir) {
        Path configFile = modelDir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(modelDir + " has no config.json: give the directory of a Hugging Face "
                    + "Qwen2.5-VL checkpoint (config.json, *.safetensors, tokenizer.json)");
        }
        JsonFields top = JsonFields.read(configFile);
        Optional<JsonFields> textConfig = top.object("text_config");
        JsonFields text = textConfig.orElse(top);

        String modelType = top.string("model_type");
        TextConfig textCfg = readText(text, top);
        VisionConfig vision = top.object("vision_config").map(v -> readVision(v, textCfg)).orElse(null);

        // Token ids and dtype sit at the top level in both dialects; text_config may repeat them.
        JsonFields ids = top.has("image_token_id") || textConfig.isEmpty() ? top : textConfig.get();
        int imageToken = -1;
        int visionStart = -1;
        int visionEnd = -1;
        if (vision != null) {
            imageToken = tokenId(ids, "image_token_id", textCfg);
            visionStart = tokenId(ids, "vision_start_token_id", textCfg);
            visionEnd = tokenId(ids, "vision_end_token_id", textCfg);
        }
        String dtype = dtype(top, textConfig);
        int[] eos = eosTokenIds(modelDir, text, top, textCfg);
        PreprocessorConfig preprocessor = readPreprocessor(modelDir.resolve("preprocessor_config.json"));
        if (vision != null) {
            checkAgrees(preprocessor, vision, modelDir);
        }
        return new ModelConfig(modelType, textCfg, vision, imageToken, visionStart, visionEnd, eos, dtype,
                preprocessor);
    }

    private static TextConfig readText(JsonFields text, JsonFields top) {
        int hidden = text.positiveInt("hidden_size");
        int layers = text.positiveInt("num_hidden_layers");
        int heads = text.positiveInt("num_attention_heads");
        int kvHeads = text.positiveIntOr("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw text.error("num_attention_heads", heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim;
        if (text.has("head_dim")) {
            headDim = text.positiveInt("head_dim");
        } else if (hidden % heads != 0) {
            throw text.error("hidden_size", hidden + " is not a multiple of num_attention_heads " + heads
                    + " (and no head_dim is given)");
        } else {
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) {
            throw text.error("hidden_size", "gives an odd head dimension " + headDim + ": RoPE needs it even");
        }
        int intermediate = text.positiveInt("intermediate_size");
        int vocab = text.positiveInt("vocab_size");

        // transformers 5 prefers rope_scaling when both are present; rope_theta may live in either.
        Optional<JsonFields> rope = text.object("rope_scaling").or(() -> text.object("rope_parameters"));
        double ropeTheta = rope.filter(r -> r.has("rope_theta"))
                .map(r -> r.positiveDoubleOr("rope_theta", DEFAULT_ROPE_THETA))
                .orElseGet(() -> text.positiveDoubleOr("rope_theta", DEFAULT_ROPE_THETA));
        int[] mrope = rope.map(r -> r.intsOr("mrope_section", null)).orElse(null);
        if (mrope != null) {
            checkMrope(rope.get(), mrope, headDim);
        }
        double eps = text.positiveDoubleOr("rms_norm_eps", DEFAULT_RMS_NORM_EPS);
        // transformers 5 ties when either the top level or (pre-v5 saves) text_config says so.
        boolean tied = top.booleanOr("tie_word_embeddings", false) || text.booleanOr("tie_word_embeddings", false);
        int maxPositions = text.positiveIntOr("max_position_embeddings", DEFAULT_MAX_POSITIONS);
        return new TextConfig(hidden, layers, heads, kvHeads, headDim, intermediate, vocab, ropeTheta, mrope, eps,
                tied, maxPositions);
    }

    private static void checkMrope(JsonFields rope, int[] sections, int headDim) {
        int sum = 0;
        for (int s : sections) {
            if (s < 0) {
                throw rope.error("mrope_section", "has a negative entry: " + Arrays.toString(sections));
            }
            sum += s;
        }
        if (sum != headDim / 2) {
            throw rope.error("mrope_section", Arrays.toString(sections) + " sums to " + sum
                    + ", but must sum to head_dim/2 = " + headDim / 2);
        }
    }

    private static VisionConfig readVision(JsonFields v, TextConfig text) {
        int depth = v.positiveInt("depth");
        int hidden = v.positiveInt("hidden_size");
        int heads = v.positiveInt("num_heads");
        if (hidden % heads != 0 || (hidden / heads) % 4 != 0) {
            throw v.error("hidden_size", hidden + " / num_heads " + heads
                    + " must be a whole head dimension divisible by 4 (2-D RoPE splits it in four)");
        }
        int intermediate = v.positiveInt("intermediate_size");
        int patch = v.positiveIntOr("patch_size", 14);
        int temporalPatch = v.positiveIntOr("temporal_patch_size", 2);
        int merge = v.positiveIntOr("spatial_merge_size", 2);
        int window = v.positiveIntOr("window_size", 112);
        if (window % (patch * merge) != 0) {
            throw v.error("window_size", window + " is not a multiple of patch_size·spatial_merge_size = "
                    + patch * merge);
        }
        int[] fullAtt = v.intsOr("fullatt_block_indexes", DEFAULT_FULL_ATT_BLOCKS);
        for (int b : fullAtt) {
            if (b < 0 || b >= depth) {
                throw v.error("fullatt_block_indexes", Arrays.toString(fullAtt) + " names block " + b
                        + ", outside 0.." + (depth - 1));
            }
        }
        int outHidden = v.positiveInt("out_hidden_size");
        if (outHidden != text.hiddenSize()) {
            throw v.error("out_hidden_size", outHidden + " differs from the text model's hidden_size "
                    + text.hiddenSize() + ": the merger's output feeds the decoder");
        }
        int inChannels = v.has("in_channels") ? v.positiveInt("in_channels") : v.positiveIntOr("in_chans", 3);
        String act = v.stringOr("hidden_act", "silu");
        return new VisionConfig(depth, hidden, heads, intermediate, patch, temporalPatch, merge, window, fullAtt,
                outHidden, inChannels, act);
    }

    private static int tokenId(JsonFields f, String key, TextConfig text) {
        int id = f.nonNegativeInt(key);
        if (id >= text.vocabSize()) {
            throw f.error(key, id + " is outside the vocabulary (vocab_size " + text.vocabSize() + ")");
        }
        return id;
    }

    private static String dtype(JsonFields top, Optional<JsonFields> textConfig) {
        for (JsonFields f : textConfig.isPresent() ? new JsonFields[] {top, textConfig.get()} : new JsonFields[] {top}) {
            String d = f.stringOr("dtype", f.stringOr("torch_dtype", null));
            if (d != null) {
                return d;
            }
        }
        return "float32";
    }

    /** EOS ids from generation_config.json, else from config.json (text_config first). */
    private static int[] eosTokenIds(Path modelDir, JsonFields text, JsonFields top, TextConfig textCfg) {
        Path generationFile = modelDir.resolve("generation_config.json");
        JsonFields source = null;
        if (Files.isRegularFile(generationFile)) {
            JsonFields generation = JsonFields.read(generationFile);
            if (generation.has("eos_token_id")) {
                source = generation;
            }
        }
        if (source == null) {
            source = text.has("eos_token_id") ? text : top;
        }
        int[] eos = source.intsOr("eos_token_id", null);
        if (eos == null || eos.length == 0) {
            throw new CheckpointException("no eos_token_id in " + generationFile + " or " + top.file()
                    + ": Glimpse would not know when to stop generating");
        }
        for (int id : eos) {
            if (id < 0 || id >= textCfg.vocabSize()) {
                throw source.error("eos_token_id", Arrays.toString(eos) + " has an id outside the vocabulary "
                        + "(vocab_size " + textCfg.vocabSize() + ")");
            }
        }
        return eos;
    }

    private static PreprocessorConfig readPreprocessor(Path file) {
        if (!Files.isRegularFile(file)) {
            return PreprocessorConfig.defaults();
        }
        JsonFields p = JsonFields.read(file);
        // min_pixels / max_pixels win over size.shortest_edge / size.longest_edge (transformers 5 keeps only size).
        Optional<JsonFields> size = p.object("size");
        int minPixels = p.has("min_pixels") ? p.positiveInt("min_pixels")
                : size.map(s -> s.positiveIntOr("shortest_edge", PreprocessorConfig.DEFAULT_MIN_PIXELS))
                        .orElse(PreprocessorConfig.DEFAULT_MIN_PIXELS);
        int maxPixels = p.has("max_pixels") ? p.positiveInt("max_pixels")
                : size.map(s -> s.positiveIntOr("longest_edge", PreprocessorConfig.DEFAULT_MAX_PIXELS))
                        .orElse(PreprocessorConfig.DEFAULT_MAX_PIXELS);
        if (minPixels > maxPixels) {
            throw p.error("min_pixels", "(" + minPixels + ") is larger than max_pixels (" + maxPixels + ")");
        }
        int patch = p.positiveIntOr("patch_size", 14);
        int temporalPatch = p.positiveIntOr("temporal_patch_size", 2);
        int merge = p.positiveIntOr("merge_size", 2);
        float[] mean = p.floatsOr("image_mean", PreprocessorConfig.CLIP_MEAN);
        float[] std = p.floatsOr("image_std", PreprocessorConfig.CLIP_STD);
        if (mean.length != 3) {
            throw p.error("image_mean", "must have 3 entries (R, G, B), got " + Arrays.toString(mean));
        }
        if (std.length != 3 || !(std[0] > 0 && std[1] > 0 && std[2] > 0)) {
            throw p.error("image_std", "must have 3 positive entries (R, G, B), got " + Arrays.toString(std));
        }
        return new PreprocessorConfig(minPixels, maxPixels, patch, temporalPatch, merge, mean, std);
    }

    private static void checkAgrees(PreprocessorConfig p, VisionConfig v, Path modelDir) {
        if (p.patchSize() != v.patchSize() || p.temporalPatchSize() != v.temporalPatchSize()
                || p.mergeSize() != v.spatialMergeSize()) {
            throw new CheckpointException(modelDir.resolve("preprocessor_config.json") + ": patch_size "
                    + p.patchSize() + ", temporal_patch_size " + p.temporalPatchSize() + ", merge_size "
                    + p.mergeSize() + " disagree with config.json's vision_config (" + v.patchSize() + ", "
                    + v.temporalPatchSize() + ", " + v.spatialMergeSize() + ")");
        }
    }
}

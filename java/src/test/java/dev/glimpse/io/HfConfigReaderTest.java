package dev.glimpse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glimpse.model.ModelConfig;
import dev.glimpse.model.PreprocessorConfig;
import dev.glimpse.model.TextConfig;
import dev.glimpse.model.VisionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * config.json in both transformers dialects. The 7B files: the released Qwen2.5-VL-7B-Instruct
 * config (transformers 4.41 field names, transcribed) and the same config re-saved by
 * transformers 4.57.6 (flat fields + text_config, rope type "default") and 5.17.0 (text_config,
 * rope_parameters); the expected values are SPEC §1's 7B numbers.
 */
class HfConfigReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final ModelConfig QWEN25_VL_7B = new ModelConfig("qwen2_5_vl",
            new TextConfig(3584, 28, 28, 4, 128, 18944, 152064, 1e6, new int[] {16, 24, 24}, 1e-6, false, 128000),
            new VisionConfig(32, 1280, 16, 3420, 14, 2, 2, 112, new int[] {7, 15, 23, 31}, 3584, 3, "silu"),
            151655, 151652, 151653, new int[] {151645, 151643}, "bfloat16",
            new PreprocessorConfig(3136, 12845056, 14, 2, 2, CLIP_MEAN, CLIP_STD));

    @TempDir
    Path tmp;

    private static ObjectNode resource(String name) {
        try {
            return (ObjectNode) JSON.readTree(Fixtures.dir(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A model directory with these files; a null node leaves that file out. */
    private Path modelDir(ObjectNode config, ObjectNode generation, ObjectNode preprocessor) {
        try {
            Path dir = Files.createTempDirectory(tmp, "model");
            JSON.writeValue(dir.resolve("config.json").toFile(), config);
            if (generation != null) {
                JSON.writeValue(dir.resolve("generation_config.json").toFile(), generation);
            }
            if (preprocessor != null) {
                JSON.writeValue(dir.resolve("preprocessor_config.json").toFile(), preprocessor);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ModelConfig load7b(String configFile, Consumer<ObjectNode> change) {
        ObjectNode config = resource("configs/" + configFile);
        change.accept(config);
        return ModelConfig.load(modelDir(config, resource("configs/generation_config.json"),
                resource("configs/preprocessor_config.json")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2.5-vl-7b-released.json", "qwen2.5-vl-7b-4.57.6.json", "qwen2.5-vl-7b-5.17.0.json"})
    void everyDialectOf7bGivesSpecValues(String file) {
        assertEquals(QWEN25_VL_7B, load7b(file, c -> {}));
    }

    @Test
    void ropeTypeDefaultWithMropeSectionIsStillMrope() {
        ModelConfig c = load7b("qwen2.5-vl-7b-released.json", cfg -> cfg.set("rope_scaling",
                parse("{\"type\": \"default\", \"rope_type\": \"default\", \"mrope_section\": [16, 24, 24]}")));
        assertArrayEquals(new int[] {16, 24, 24}, c.text().mropeSection());
        ModelConfig plain = load7b("qwen2.5-vl-7b-released.json", cfg -> cfg.remove("rope_scaling"));
        assertNull(plain.text().mropeSection());
    }

    @Test
    void textConfigWinsOverFlatFields() {
        // 4.57 saves carry both; transformers 5 reads text_config alone.
        ModelConfig c = load7b("qwen2.5-vl-7b-4.57.6.json", cfg -> {
            cfg.put("num_hidden_layers", 99);
            cfg.put("rope_theta", 5.0);
        });
        assertEquals(28, c.text().layers());
        assertEquals(1e6, c.text().ropeTheta());
    }

    @Test
    void ropeThetaInsideRopeParameters() {
        ModelConfig c = load7b("qwen2.5-vl-7b-5.17.0.json",
                cfg -> ((ObjectNode) cfg.get("text_config").get("rope_parameters")).put("rope_theta", 500000.0));
        assertEquals(500000.0, c.text().ropeTheta());
    }

    /** Qwen2.5-VL-3B-Instruct's config.json (4.x dialect), transcribed: tied embeddings. */
    @Test
    void threeBillionTiedConfig() {
        ObjectNode config = parse("""
                {
                  "architectures": ["Qwen2_5_VLForConditionalGeneration"],
                  "attention_dropout": 0.0, "bos_token_id": 151643, "eos_token_id": 151645,
                  "vision_start_token_id": 151652, "vision_end_token_id": 151653, "vision_token_id": 151654,
                  "image_token_id": 151655, "video_token_id": 151656, "hidden_act": "silu",
                  "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 11008,
                  "max_position_embeddings": 128000, "max_window_layers": 70, "model_type": "qwen2_5_vl",
                  "num_attention_heads": 16, "num_hidden_layers": 36, "num_key_value_heads": 2,
                  "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768,
                  "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.41.2",
                  "use_cache": true, "use_sliding_window": false,
                  "vision_config": {
                    "depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420,
                    "num_heads": 16, "in_chans": 3, "out_hidden_size": 2048, "patch_size": 14,
                    "spatial_merge_size": 2, "spatial_patch_size": 14, "window_size": 112,
                    "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2, "temporal_patch_size": 2
                  },
                  "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
                  "vocab_size": 151936
                }""");
        ModelConfig c = ModelConfig.load(modelDir(config, null, null));
        assertEquals(new TextConfig(2048, 36, 16, 2, 128, 11008, 151936, 1e6, new int[] {16, 24, 24}, 1e-6, true,
                128000), c.text());
        assertEquals(2048, c.vision().outHiddenSize());
        assertArrayEquals(new int[] {151645}, c.eosTokenIds(), "no generation_config.json: config.json's eos");
        assertEquals(PreprocessorConfig.defaults(), c.preprocessor());
        assertEquals(new PreprocessorConfig(3136, 1003520, 14, 2, 2, CLIP_MEAN, CLIP_STD), c.preprocessor());
    }

    @Test
    void tieInsideTextConfigCounts() {
        ModelConfig c = load7b("qwen2.5-vl-7b-5.17.0.json",
                cfg -> ((ObjectNode) cfg.get("text_config")).put("tie_word_embeddings", true));
        assertTrue(c.text().tieWordEmbeddings());
    }

    @Test
    void generationConfigEos() {
        ObjectNode config = resource("configs/qwen2.5-vl-7b-released.json");
        assertArrayEquals(new int[] {7}, ModelConfig.load(modelDir(config, parse("{\"eos_token_id\": 7}"), null))
                .eosTokenIds());
        assertArrayEquals(new int[] {151645}, ModelConfig.load(modelDir(config, parse("{\"top_k\": 1}"), null))
                .eosTokenIds(), "generation_config.json without eos: config.json's");
        assertArrayEquals(new int[] {31}, ModelConfig.load(Fixtures.dir("sharded")).eosTokenIds(),
                "5.x: eos inside text_config");
    }

    @Test
    void preprocessorPixelKeys() {
        ObjectNode config = resource("configs/qwen2.5-vl-7b-released.json");
        ObjectNode both = parse("{\"min_pixels\": 1000, \"max_pixels\": 2000,"
                + " \"size\": {\"shortest_edge\": 10, \"longest_edge\": 20}}");
        PreprocessorConfig p = ModelConfig.load(modelDir(config, null, both)).preprocessor();
        assertEquals(1000, p.minPixels());
        assertEquals(2000, p.maxPixels());
        ObjectNode sizeOnly = parse("{\"size\": {\"shortest_edge\": 10, \"longest_edge\": 20}}");
        p = ModelConfig.load(modelDir(config, null, sizeOnly)).preprocessor();
        assertEquals(10, p.minPixels());
        assertEquals(20, p.maxPixels());
        p = ModelConfig.load(modelDir(config, null, parse("{\"image_mean\": [0.5, 0.5, 0.5]}"))).preprocessor();
        assertEquals(3136, p.minPixels());
        assertEquals(1003520, p.maxPixels());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, p.imageMean());
        assertArrayEquals(CLIP_STD, p.imageStd());
    }

    /** The tiny configs transformers 5.17 wrote for the checkpoint fixtures. */
    @Test
    void tinyFixtureConfigs() {
        ModelConfig classic = ModelConfig.load(Fixtures.dir("classic"));
        assertEquals(new ModelConfig("qwen2_5_vl",
                new TextConfig(16, 2, 2, 1, 8, 32, 32, 10000.0, new int[] {1, 1, 2}, 1e-6, true, 4096),
                new VisionConfig(2, 16, 2, 24, 14, 2, 2, 56, new int[] {1}, 16, 3, "silu"),
                28, 29, 30, new int[] {31, 0}, "float32",
                new PreprocessorConfig(3136, 200704, 14, 2, 2, CLIP_MEAN, CLIP_STD)), classic);
        ModelConfig sharded = ModelConfig.load(Fixtures.dir("sharded"));
        assertEquals(false, sharded.text().tieWordEmbeddings());
        assertEquals(new PreprocessorConfig(6272, 401408, 14, 2, 2, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.25f, 0.5f, 1.0f}), sharded.preprocessor());
    }

    @Test
    void explicitHeadDimAndNoVision() {
        ModelConfig c = load7b("qwen2.5-vl-7b-released.json", cfg -> {
            cfg.remove("vision_config");
            cfg.put("head_dim", 64);
            cfg.set("rope_scaling", parse("{\"mrope_section\": [8, 12, 12]}"));
        });
        assertEquals(64, c.text().headDim());
        assertNull(c.vision());
        assertEquals(-1, c.imageTokenId());
        assertEquals(-1, c.visionStartTokenId());
    }

    @Test
    void defaultsWhereQwenHasThem() {
        ModelConfig c = load7b("qwen2.5-vl-7b-released.json", cfg -> {
            for (String k : new String[] {"rms_norm_eps", "rope_theta", "max_position_embeddings", "num_key_value_heads",
                    "torch_dtype"}) {
                cfg.remove(k);
            }
            ObjectNode v = (ObjectNode) cfg.get("vision_config");
            for (String k : new String[] {"window_size", "spatial_merge_size", "temporal_patch_size", "patch_size",
                    "in_chans", "hidden_act", "fullatt_block_indexes"}) {
                v.remove(k);
            }
        });
        assertEquals(1e-6, c.text().rmsNormEps());
        assertEquals(1e6, c.text().ropeTheta());
        assertEquals(128000, c.text().maxPositionEmbeddings());
        assertEquals(28, c.text().kvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals("float32", c.dtype());
        assertEquals(QWEN25_VL_7B.vision(), c.vision());
    }

    private void assertRejected(String file, Consumer<ObjectNode> change, String... parts) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> load7b(file, change));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "\"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    @Test
    void rejectsBadTextSizes() {
        String f = "qwen2.5-vl-7b-released.json";
        assertRejected(f, c -> c.remove("hidden_size"), "config.json: hidden_size is missing");
        assertRejected(f, c -> c.put("num_hidden_layers", -1), "num_hidden_layers must be a positive integer, got -1");
        assertRejected(f, c -> c.put("vocab_size", "many"), "vocab_size must be an integer, got \"many\"");
        assertRejected(f, c -> c.put("intermediate_size", 1.5), "intermediate_size must be an integer, got 1.5");
        assertRejected(f, c -> c.put("num_key_value_heads", 3),
                "num_attention_heads 28 is not a multiple of num_key_value_heads 3");
        assertRejected(f, c -> c.put("hidden_size", 3585), "hidden_size 3585 is not a multiple of num_attention_heads 28");
        assertRejected(f, c -> c.put("rms_norm_eps", -1e-6), "rms_norm_eps must be a positive number");
        assertRejected(f, c -> c.put("tie_word_embeddings", "yes"), "tie_word_embeddings must be true or false");
        assertRejected(f, c -> c.remove("model_type"), "model_type is missing");
    }

    @Test
    void rejectsBadMropeSection() {
        assertRejected("qwen2.5-vl-7b-released.json",
                c -> c.set("rope_scaling", parse("{\"type\": \"mrope\", \"mrope_section\": [16, 24, 16]}")),
                "rope_scaling.mrope_section [16, 24, 16] sums to 56, but must sum to head_dim/2 = 64");
        assertRejected("qwen2.5-vl-7b-5.17.0.json",
                c -> ((ObjectNode) c.get("text_config").get("rope_parameters")).set("mrope_section",
                        parse("{\"a\": [16, 24, 32]}").get("a")),
                "config.json: text_config.rope_parameters.mrope_section [16, 24, 32] sums to 72");
        assertRejected("qwen2.5-vl-7b-5.17.0.json", c -> ((ObjectNode) c.get("text_config")).remove("hidden_size"),
                "config.json: text_config.hidden_size is missing");
    }

    @Test
    void rejectsBadVisionConfig() {
        String f = "qwen2.5-vl-7b-released.json";
        assertRejected(f, c -> ((ObjectNode) c.get("vision_config")).put("out_hidden_size", 2048),
                "vision_config.out_hidden_size 2048 differs from the text model's hidden_size 3584");
        assertRejected(f, c -> ((ObjectNode) c.get("vision_config")).set("fullatt_block_indexes",
                parse("{\"a\": [7, 32]}").get("a")), "vision_config.fullatt_block_indexes [7, 32] names block 32");
        assertRejected(f, c -> ((ObjectNode) c.get("vision_config")).put("num_heads", 3), "vision_config.hidden_size");
        assertRejected(f, c -> ((ObjectNode) c.get("vision_config")).put("window_size", 100),
                "vision_config.window_size 100 is not a multiple of");
        assertRejected(f, c -> c.put("image_token_id", 152064),
                "image_token_id 152064 is outside the vocabulary (vocab_size 152064)");
        assertRejected(f, c -> c.remove("vision_end_token_id"), "vision_end_token_id is missing");
    }

    @Test
    void rejectsBadFiles() throws IOException {
        Path empty = Files.createTempDirectory(tmp, "empty");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.load(empty));
        assertTrue(e.getMessage().contains("has no config.json"), e.getMessage());

        Path dir = modelDir(resource("configs/qwen2.5-vl-7b-released.json"), null, null);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": ");
        e = assertThrows(CheckpointException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("config.json") + " is not valid JSON"), e.getMessage());

        Path noEos = modelDir(resource("configs/qwen2.5-vl-7b-released.json").without("eos_token_id"), null, null);
        e = assertThrows(CheckpointException.class, () -> ModelConfig.load(noEos));
        assertTrue(e.getMessage().startsWith("no eos_token_id in "), e.getMessage());

        Path badEos = modelDir(resource("configs/qwen2.5-vl-7b-released.json"), parse("{\"eos_token_id\": [1, -2]}"), null);
        e = assertThrows(CheckpointException.class, () -> ModelConfig.load(badEos));
        assertTrue(e.getMessage().contains("generation_config.json: eos_token_id [1, -2] has an id outside"), e.getMessage());
    }

    @Test
    void rejectsBadPreprocessor() {
        ObjectNode config = resource("configs/qwen2.5-vl-7b-released.json");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.load(
                modelDir(config, null, parse("{\"min_pixels\": 5000, \"max_pixels\": 4000}"))));
        assertTrue(e.getMessage().contains("preprocessor_config.json: min_pixels (5000) is larger than max_pixels (4000)"),
                e.getMessage());
        e = assertThrows(CheckpointException.class, () -> ModelConfig.load(
                modelDir(config, null, parse("{\"patch_size\": 16}"))));
        assertTrue(e.getMessage().contains("preprocessor_config.json: patch_size 16, temporal_patch_size 2, merge_size 2"
                + " disagree with config.json's vision_config (14, 2, 2)"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> ModelConfig.load(
                modelDir(config, null, parse("{\"image_std\": [0.5, 0, 0.5]}"))));
        assertTrue(e.getMessage().contains("preprocessor_config.json: image_std must have 3 positive entries"),
                e.getMessage());
    }
}

package dev.glimpse.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.glimpse.io.SafetensorsWriter;
import dev.glimpse.tensor.DType;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

/**
 * Writes a random Qwen2.5-VL checkpoint of any size with the real Qwen2.5-VL tokenizer, in the
 * layout transformers 5.x saves (config dialect, classic tensor names): the demo model until a
 * trained one exists, and random models of real shapes for benchmarks.
 */
public final class TinyCheckpoint {

    /** Shapes and storage of the checkpoint to write. */
    public record Spec(int hidden, int layers, int heads, int kvHeads, int intermediate, int[] mropeSection,
            int visionDepth, int visionHidden, int visionHeads, int visionIntermediate, int[] fullAttBlocks,
            DType dtype, boolean tied, long seed) {

        /** The built-in demo: about 10 MB in BF16 with the full 151k vocabulary, tied embeddings. */
        public static Spec demo() {
            return new Spec(64, 2, 4, 2, 128, new int[] {2, 3, 3}, 2, 32, 2, 64, new int[] {1}, DType.BF16, true, 7);
        }

        /** Qwen2.5-0.5B's text shapes (hidden 896, 24 layers, 14/2 heads, MLP 4864) with a small vision tower. */
        public static Spec qwen05b(DType dtype) {
            return new Spec(896, 24, 14, 2, 4864, new int[] {8, 12, 12}, 1, 32, 2, 64, new int[] {0}, dtype, true, 7);
        }

        /**
         * Qwen2.5-VL-7B's shapes in BF16 (text hidden 3584, 28/4 heads, MLP 18944; the full 32-block vision
         * tower, hidden 1280, 16 heads, MLP 3420) with only the given number of decoder layers, and the
         * embedding tied as the LM head (same size as 7B's separate head, so the same bytes per token).
         */
        public static Spec qwen7b(int layers) {
            return qwen7bWidths(layers, 32, DType.BF16);
        }

        /** Qwen2.5-VL-7B's widths with the given depths (full attention every 8th vision block), for benchmarks. */
        public static Spec qwen7bWidths(int textLayers, int visionDepth, DType dtype) {
            int[] full = java.util.stream.IntStream.range(0, visionDepth).filter(b -> b % 8 == 7).toArray();
            return new Spec(3584, textLayers, 28, 4, 18944, new int[] {16, 24, 24}, visionDepth, 1280, 16, 3420, full,
                    dtype, true, 7);
        }
    }

    private static final int VOCAB = 151936;
    /** Elements per independently seeded piece of a tensor (drawn in parallel). */
    private static final int CHUNK = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TinyCheckpoint() {
    }

    /** Writes the checkpoint; the noise is drawn on every core, so 7B widths take seconds. */
    public static void write(Path dir, Spec s) throws IOException {
        Files.createDirectories(dir);
        Path tokenizerFile = dir.resolve("tokenizer.json");
        try (InputStream in = new GZIPInputStream(Tokenizer.class.getResourceAsStream(Tokenizer.QWEN25VL_RESOURCE))) {
            Files.write(tokenizerFile, in.readAllBytes());
        }
        Tokenizer tokenizer = Tokenizer.load(tokenizerFile);
        int imagePad = id(tokenizer, "<|image_pad|>");
        int visionStart = id(tokenizer, "<|vision_start|>");
        int visionEnd = id(tokenizer, "<|vision_end|>");
        int imEnd = id(tokenizer, "<|im_end|>");
        int eot = id(tokenizer, "<|endoftext|>");

        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("depth", s.visionDepth());
        vision.put("hidden_size", s.visionHidden());
        vision.put("num_heads", s.visionHeads());
        vision.put("intermediate_size", s.visionIntermediate());
        vision.put("hidden_act", "silu");
        vision.put("patch_size", 14);
        vision.put("temporal_patch_size", 2);
        vision.put("spatial_merge_size", 2);
        vision.put("window_size", 112);
        vision.put("fullatt_block_indexes", s.fullAttBlocks());
        vision.put("out_hidden_size", s.hidden());
        vision.put("in_channels", 3);
        Map<String, Object> rope = new LinkedHashMap<>();
        rope.put("rope_type", "default");
        rope.put("rope_theta", 1e6);
        rope.put("mrope_section", s.mropeSection());
        Map<String, Object> text = new LinkedHashMap<>();
        text.put("hidden_size", s.hidden());
        text.put("num_hidden_layers", s.layers());
        text.put("num_attention_heads", s.heads());
        text.put("num_key_value_heads", s.kvHeads());
        text.put("intermediate_size", s.intermediate());
        text.put("vocab_size", VOCAB);
        text.put("rms_norm_eps", 1e-6);
        text.put("max_position_embeddings", 32768);
        text.put("rope_parameters", rope);
        text.put("tie_word_embeddings", s.tied());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("Qwen2_5_VLForConditionalGeneration"));
        config.put("model_type", "qwen2_5_vl");
        config.put("dtype", s.dtype() == DType.BF16 ? "bfloat16" : s.dtype() == DType.F16 ? "float16" : "float32");
        config.put("image_token_id", imagePad);
        config.put("vision_start_token_id", visionStart);
        config.put("vision_end_token_id", visionEnd);
        config.put("eos_token_id", imEnd);
        config.put("tie_word_embeddings", s.tied());
        config.put("text_config", text);
        config.put("vision_config", vision);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        JSON.writeValue(dir.resolve("generation_config.json").toFile(),
                Map.of("eos_token_id", List.of(imEnd, eot), "do_sample", false));
        JSON.writeValue(dir.resolve("preprocessor_config.json").toFile(), Map.of(
                "min_pixels", 3136, "max_pixels", 12845056, "patch_size", 14, "temporal_patch_size", 2, "merge_size", 2,
                "image_mean", List.of(0.48145466, 0.4578275, 0.40821073),
                "image_std", List.of(0.26862954, 0.26130258, 0.27577711)));
        weights(s).write(dir.resolve("model.safetensors"));
    }

    private static int id(Tokenizer tokenizer, String token) {
        return tokenizer.tokenId(token).orElseThrow(() -> new IllegalStateException("tokenizer lacks " + token));
    }

    private static SafetensorsWriter weights(Spec s) {
        var w = new Weights(new SafetensorsWriter(), s.dtype(), new SplittableRandom(s.seed()));
        int h = s.hidden();
        int headDim = h / s.heads();
        int kv = s.kvHeads() * headDim;
        w.matrix("model.embed_tokens.weight", VOCAB, h);
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            w.norm(p + "input_layernorm.weight", h);
            w.matrix(p + "self_attn.q_proj.weight", h, h);
            w.bias(p + "self_attn.q_proj.bias", h);
            w.matrix(p + "self_attn.k_proj.weight", kv, h);
            w.bias(p + "self_attn.k_proj.bias", kv);
            w.matrix(p + "self_attn.v_proj.weight", kv, h);
            w.bias(p + "self_attn.v_proj.bias", kv);
            w.matrix(p + "self_attn.o_proj.weight", h, h);
            w.norm(p + "post_attention_layernorm.weight", h);
            w.matrix(p + "mlp.gate_proj.weight", s.intermediate(), h);
            w.matrix(p + "mlp.up_proj.weight", s.intermediate(), h);
            w.matrix(p + "mlp.down_proj.weight", h, s.intermediate());
        }
        w.norm("model.norm.weight", h);
        if (!s.tied()) {
            w.matrix("lm_head.weight", VOCAB, h);
        }
        int c = s.visionHidden();
        int vi = s.visionIntermediate();
        w.tensor("visual.patch_embed.proj.weight", new long[] {c, 3, 2, 14, 14}, 1176);
        for (int b = 0; b < s.visionDepth(); b++) {
            String p = "visual.blocks." + b + ".";
            w.norm(p + "norm1.weight", c);
            w.norm(p + "norm2.weight", c);
            w.matrix(p + "attn.qkv.weight", 3 * c, c);
            w.bias(p + "attn.qkv.bias", 3 * c);
            w.matrix(p + "attn.proj.weight", c, c);
            w.bias(p + "attn.proj.bias", c);
            w.matrix(p + "mlp.gate_proj.weight", vi, c);
            w.bias(p + "mlp.gate_proj.bias", vi);
            w.matrix(p + "mlp.up_proj.weight", vi, c);
            w.bias(p + "mlp.up_proj.bias", vi);
            w.matrix(p + "mlp.down_proj.weight", c, vi);
            w.bias(p + "mlp.down_proj.bias", c);
        }
        w.norm("visual.merger.ln_q.weight", c);
        w.matrix("visual.merger.mlp.0.weight", 4 * c, 4 * c);
        w.bias("visual.merger.mlp.0.bias", 4 * c);
        w.matrix("visual.merger.mlp.2.weight", h, 4 * c);
        w.bias("visual.merger.mlp.2.bias", h);
        return w.writer();
    }

    /**
     * Seeded random tensors, uniform with variance 1/fan-in so activations keep a sane size through the
     * layers (norm weights near 1, small biases).
     */
    private record Weights(SafetensorsWriter writer, DType dtype, SplittableRandom random) {
        void matrix(String name, int rows, int cols) {
            tensor(name, new long[] {rows, cols}, cols);
        }

        void tensor(String name, long[] shape, int fanIn) {
            uniform(name, shape, 0, 1.0 / Math.sqrt(fanIn));
        }

        void bias(String name, int n) {
            uniform(name, new long[] {n}, 0, 0.02);
        }

        void norm(String name, int n) {
            uniform(name, new long[] {n}, 1, 0.1);
        }

        /** mean + uniform noise of standard deviation std, in chunks drawn in parallel, each from its own seed. */
        private void uniform(String name, long[] shape, double mean, double std) {
            long count = dev.glimpse.tensor.Tensor.numel(shape);
            MemorySegment data = Arena.ofAuto().allocate(count * dtype.bytes(), 64);
            long tensorSeed = random.nextLong();
            float halfWidth = (float) (Math.sqrt(3) * std);
            float offset = (float) mean;
            int chunks = Math.toIntExact((count + CHUNK - 1) / CHUNK);
            IntStream.range(0, chunks).parallel().forEach(c -> {
                SplittableRandom r = new SplittableRandom(tensorSeed + c * 0x9E3779B97F4A7C15L);
                long end = Math.min(count, (c + 1L) * CHUNK);
                for (long i = (long) c * CHUNK; i < end; i++) {
                    float v = offset + (r.nextInt() >> 8) * 0x1p-23f * halfWidth;
                    switch (dtype) {
                        case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                        case BF16 -> {
                            int bits = Float.floatToRawIntBits(v);
                            data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                                    (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                        }
                        case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                    }
                }
            });
            writer.add(new dev.glimpse.tensor.Tensor(name, dtype, shape, data));
        }
    }
}

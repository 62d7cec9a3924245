package dev.glimpse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glimpse.model.ModelConfig;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode EXPECTED = Fixtures.expected().get("files");

    @TempDir
    Path tmp;

    /** Element float32 bits that torch held for a tensor of a Python-written file. */
    private static int[] expectedBits(String file, String storedName) {
        JsonNode bits = EXPECTED.get(file).get("tensors").get(storedName).get("f32_bits");
        int[] out = new int[bits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bits.get(i).intValue();
        }
        return out;
    }

    private static int[] bits(Tensor t) {
        int[] out = new int[Math.toIntExact(t.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.floatToRawIntBits(t.getFloat(i));
        }
        return out;
    }

    private static void assertMessage(Executable run, String... parts) {
        CheckpointException e = assertThrows(CheckpointException.class, run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "\"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    private static void editJson(Path file, Consumer<ObjectNode> change) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(file.toFile());
        change.accept(node);
        JSON.writeValue(file.toFile(), node);
    }

    /** 3B-style: tied embeddings and no lm_head.weight stored; classic names; one file. */
    @Test
    void singleFileClassicNamesTied() {
        Path dir = Fixtures.dir("classic");
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(8, ckpt.tensorCount());
            assertEquals(ckpt.names(), EXPECTED_NAMES_CLASSIC);
            assertEquals(dir, ckpt.dir());
            assertEquals(ModelConfig.load(dir), ckpt.config());
            String file = "classic/model.safetensors";
            Tensor head = ckpt.tensor("lm_head.weight");
            assertEquals(DType.BF16, head.dtype());
            assertArrayEquals(new long[] {32, 16}, head.shape());
            assertArrayEquals(expectedBits(file, "model.embed_tokens.weight"), bits(head));
            Tensor q = ckpt.tensor("model.layers.0.self_attn.q_proj.weight");
            assertEquals(DType.F16, q.dtype());
            assertEquals("model.layers.0.self_attn.q_proj.weight", q.name());
            assertArrayEquals(expectedBits(file, "model.layers.0.self_attn.q_proj.weight"), bits(q));
            // BF16: 32·16 + 64 elements; F32: 16 + 16 + 1; F16: 16·16 + 0 (I64 not counted).
            assertEquals(Map.of(DType.BF16, 1152L, DType.F32, 132L, DType.F16, 512L), ckpt.bytesByDtype());
            assertMessage(() -> ckpt.tensor("test.steps"), "has dtype I64, which Glimpse cannot use as a weight");
            assertMessage(() -> ckpt.tensor("visual.blocks.0.attn.qkv.weight"), "checkpoint " + dir
                    + " has no tensor visual.blocks.0.attn.qkv.weight (expected for the vision tower");
            assertMessage(() -> ckpt.tensor("model.layers.1.mlp.up_proj.weight"),
                    "(expected for text decoder layer 1 of 2");
            assertTrue(ckpt.find("model.layers.1.mlp.up_proj.weight").isEmpty());
            assertTrue(ckpt.find("model.norm.weight").isPresent());
        }
    }

    private static final Set<String> EXPECTED_NAMES_CLASSIC = Set.of("model.embed_tokens.weight", "model.norm.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
            "visual.merger.mlp.0.bias", "test.scalar", "test.empty", "test.steps");

    /** Shards + index written with model.language_model.* / model.visual.* names, untied head. */
    @Test
    void shardedNewNamesMapToClassic() {
        Map<String, String[]> canonicalToStored = Map.of(
                "model.embed_tokens.weight", new String[] {"1", "model.language_model.embed_tokens.weight"},
                "model.layers.0.self_attn.q_proj.weight",
                new String[] {"1", "model.language_model.layers.0.self_attn.q_proj.weight"},
                "visual.blocks.0.norm1.weight", new String[] {"1", "model.visual.blocks.0.norm1.weight"},
                "model.norm.weight", new String[] {"2", "model.language_model.norm.weight"},
                "lm_head.weight", new String[] {"2", "lm_head.weight"},
                "visual.merger.ln_q.weight", new String[] {"2", "model.visual.merger.ln_q.weight"});
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.dir("sharded"))) {
            assertEquals(canonicalToStored.keySet(), ckpt.names());
            for (var e : canonicalToStored.entrySet()) {
                String file = "sharded/model-0000" + e.getValue()[0] + "-of-00002.safetensors";
                assertArrayEquals(expectedBits(file, e.getValue()[1]), bits(ckpt.tensor(e.getKey())), e.getKey());
            }
            assertTrue(ckpt.find("model.language_model.norm.weight").isEmpty(), "only canonical names");
        }
    }

    @Test
    void tiedHeadIsTheEmbeddingEvenWhenStored() throws IOException {
        Path dir = Fixtures.copy("sharded", tmp.resolve("m"));
        editJson(dir.resolve("config.json"), c -> c.put("tie_word_embeddings", true));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertArrayEquals(expectedBits("sharded/model-00001-of-00002.safetensors",
                    "model.language_model.embed_tokens.weight"), bits(ckpt.tensor("lm_head.weight")));
        }
    }

    @Test
    void untiedWithoutHeadSaysWhy() throws IOException {
        Path dir = Fixtures.copy("classic", tmp.resolve("m"));
        editJson(dir.resolve("config.json"), c -> c.put("tie_word_embeddings", false));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertMessage(() -> ckpt.tensor("lm_head.weight"), "has no tensor lm_head.weight (expected for the output"
                    + " head, since config.json has tie_word_embeddings false");
        }
    }

    @Test
    void missingShard() throws IOException {
        Path dir = Fixtures.copy("sharded", tmp.resolve("m"));
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), "model.safetensors.index.json: weight_map.lm_head.weight names shard"
                + " model-00002-of-00002.safetensors, which is missing from " + dir);
    }

    @Test
    void indexEntryNotInItsShard() throws IOException {
        Path dir = Fixtures.copy("sharded", tmp.resolve("m"));
        editJson(dir.resolve("model.safetensors.index.json"), index -> ((ObjectNode) index.get("weight_map"))
                .put("lm_head.weight", "model-00001-of-00002.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), "puts tensor lm_head.weight in model-00001-of-00002.safetensors, "
                + "but that shard does not contain it");
        editJson(dir.resolve("model.safetensors.index.json"), index -> ((ObjectNode) index.get("weight_map"))
                .put("lm_head.weight", "../model-00002-of-00002.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), "names shard ../model-00002-of-00002.safetensors, which is not a file");
        editJson(dir.resolve("model.safetensors.index.json"), index -> index.remove("weight_map"));
        assertMessage(() -> Checkpoint.open(dir), "model.safetensors.index.json: weight_map is missing");
    }

    @Test
    void withoutIndexEveryFileIfUnambiguous() throws IOException {
        Path dir = Fixtures.copy("sharded", tmp.resolve("m"));
        Files.delete(dir.resolve("model.safetensors.index.json"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(6, ckpt.tensorCount());
        }
        Files.copy(dir.resolve("model-00001-of-00002.safetensors"), dir.resolve("extra.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), "extra.safetensors", "the checkpoint is ambiguous");
        // model.safetensors, when present, is the checkpoint, whatever else lies beside it.
        Files.copy(Fixtures.dir("classic/model.safetensors"), dir.resolve("model.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(EXPECTED_NAMES_CLASSIC, ckpt.names());
        }
    }

    @Test
    void bothDialectsForOneTensorIsAnError() throws IOException {
        Path dir = Fixtures.copy("classic", tmp.resolve("m"));
        new SafetensorsWriter()
                .add("model.norm.weight", DType.F32, new long[] {2}, new float[] {1, 2})
                .add("model.language_model.norm.weight", DType.F32, new long[] {2}, new float[] {1, 2})
                .write(dir.resolve("model.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), "model.norm.weight", "model.language_model.norm.weight",
                "are both model.norm.weight");
    }

    @Test
    void noWeights() throws IOException {
        Path dir = Fixtures.copy("classic", tmp.resolve("m"));
        Files.delete(dir.resolve("model.safetensors"));
        assertMessage(() -> Checkpoint.open(dir), dir + " has no model.safetensors, model.safetensors.index.json or "
                + "other *.safetensors file");
        assertMessage(() -> Checkpoint.open(tmp.resolve("absent")), "is not a directory");
    }

    @Test
    void corruptShardNamesTheFile() throws IOException {
        Path dir = Fixtures.copy("sharded", tmp.resolve("m"));
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(bytes, bytes.length - 1));
        assertMessage(() -> Checkpoint.open(dir), shard.toString(), "the file is truncated");
    }

    private record Update(long done, long total, String file) {}

    @Test
    void progressCountsRealBytes() throws IOException {
        Path dir = Fixtures.dir("sharded");
        List<Update> updates = new ArrayList<>();
        long shard1 = Files.size(dir.resolve("model-00001-of-00002.safetensors"));
        long shard2 = Files.size(dir.resolve("model-00002-of-00002.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir, (d, t, f) -> updates.add(new Update(d, t, f.getFileName().toString())))) {
            assertEquals(List.of(new Update(shard1, shard1 + shard2, "model-00001-of-00002.safetensors"),
                    new Update(shard1 + shard2, shard1 + shard2, "model-00002-of-00002.safetensors")), updates);
            updates.clear();
            ckpt.prefault((d, t, f) -> updates.add(new Update(d, t, f.getFileName().toString())));
            // The data sections: the index's total_size, as the Python writer counted it.
            long dataBytes = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile())
                    .get("metadata").get("total_size").longValue();
            Update last = updates.getLast();
            assertEquals(dataBytes, last.done());
            assertEquals(dataBytes, last.total());
        }
    }

    @Test
    void closeUnmaps() {
        Checkpoint ckpt = Checkpoint.open(Fixtures.dir("classic"));
        Tensor t = ckpt.tensor("model.norm.weight");
        assertFalse(Float.isNaN(t.getFloat(1)));
        ckpt.close();
        assertThrows(IllegalStateException.class, () -> t.getFloat(1));
    }
}

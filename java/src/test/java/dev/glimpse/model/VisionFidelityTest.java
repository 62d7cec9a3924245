package dev.glimpse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.backend.Backend;
import dev.glimpse.backend.cpu.VectorBackend;
import jdk.incubator.vector.FloatVector;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.io.Npy;
import dev.glimpse.tensor.Tensor;
import dev.glimpse.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vision tower and multimodal prefill against transformers: vision output per image (window
 * padding, several windows, full-attention blocks) within 1e-4, M-RoPE positions identical, last
 * logits within 1e-4 and 32 greedy tokens identical for one and two images in a prompt.
 */
public class VisionFidelityTest {

    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"vl-f32", "vl-bf16"})
    void visionTowerMatchesTransformers(String fixture) throws IOException {
        JsonNode expected = Fixtures.expected(fixture);
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(Fixtures.checkpoint(fixture), backend, LoadProgress.NONE)) {
            for (JsonNode v : expected.get("vision")) {
                String image = v.get("image").asText();
                VisionEncoder.Patches patches = patches(image, Fixtures.ints(v.get("image_grid_thw")));
                float[] got = encode(model, List.of(patches));
                float[] want = Npy.read(Fixtures.ROOT.resolve(fixture).resolve(v.get("embeds").asText())).data();
                double err = Fixtures.relativeError(got, want);
                assertTrue(err <= TOLERANCE, image + ": vision output relative error " + err);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vl-f32", "vl-bf16"})
    void multimodalPrefillMatchesTransformers(String fixture) throws IOException {
        JsonNode expected = Fixtures.expected(fixture);
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(Fixtures.checkpoint(fixture), backend, LoadProgress.NONE)) {
            for (JsonNode c : expected.get("cases")) {
                if (!c.get("kind").asText().equals("image")) {
                    continue;
                }
                String name = c.get("name").asText();
                int[] ids = Fixtures.ints(c.get("prompt_ids"));
                List<int[]> grids = new ArrayList<>();
                List<VisionEncoder.Patches> images = new ArrayList<>();
                for (int i = 0; i < c.get("images").size(); i++) {
                    int[] grid = Fixtures.ints(c.get("image_grid_thw").get(i));
                    grids.add(grid);
                    images.add(patches(c.get("images").get(i).asText(), grid));
                }
                MRope.Positions pos = MRope.ropeIndex(ids, model.config().imageTokenId(), grids, 2, 0);
                for (int axis = 0; axis < 3; axis++) {
                    assertArrayEquals(Fixtures.ints(c.get("position_ids").get(axis)), pos.axes()[axis],
                            name + " positions axis " + axis);
                }
                assertEquals(c.get("rope_delta").asInt(), pos.next() - ids.length, name + " rope_delta");
                Tensor embeds = embeddings(model, images);
                int[] generated = Fixtures.ints(c.get("generated_ids"));
                KvCache cache = model.newCache(ids.length + generated.length + 1);
                float[] logits = model.decoder().forward(ids, pos.axes(), embeds, cache).clone();
                double err = Fixtures.relativeError(logits, Fixtures.floats(c.get("last_logits")));
                assertTrue(err <= TOLERANCE, name + ": last logits relative error " + err);
                assertArrayEquals(generated, TextFidelityTest.greedy(model, cache, logits, pos.next(), generated.length),
                        name + " greedy tokens");
            }
        }
    }

    public static VisionEncoder.Patches patches(String image, int[] grid) throws IOException {
        float[] pv = Npy.read(Fixtures.ROOT.resolve("images").resolve(image + ".pixel_values.npy")).data();
        return new VisionEncoder.Patches(pv, grid[0], grid[1], grid[2]);
    }

    static Tensor embeddings(Model model, List<VisionEncoder.Patches> images) {
        int tokens = images.stream().mapToInt(model.vision()::tokens).sum();
        Backend backend = model.backend();
        Tensor out = backend.allocate("embeds", tokens, model.config().vision().outHiddenSize());
        model.vision().encode(images, out);
        return out;
    }

    static float[] encode(Model model, List<VisionEncoder.Patches> images) {
        Tensor out = embeddings(model, images);
        float[] host = new float[Math.toIntExact(out.numel())];
        model.backend().read(out, host);
        return host;
    }
}

package dev.glimpse.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glimpse.backend.cpu.ReferenceBackend;
import dev.glimpse.tensor.Tensor;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void greedyTakesTheFirstMaximum() {
        Sampler s = new Sampler(SamplingOptions.GREEDY, 4);
        assertEquals(1, s.sample(new float[] {0f, 3f, 3f, -1f}));
    }

    /** transformers' RepetitionPenaltyLogitsProcessor: positive logits are divided, negative multiplied. */
    @Test
    void repetitionPenaltyFollowsTransformers() {
        Sampler s = new Sampler(new SamplingOptions(0f, 0, 1f, 2f, 0), 3);
        s.observe(0);
        s.observe(2);
        float[] logits = {3f, 2f, -1f};
        assertEquals(1, s.sample(logits), "3/2 = 1.5 < 2");
        assertEquals(1.5f, logits[0]);
        assertEquals(-2f, logits[2]);
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        float[] logits = {0.1f, 0.5f, 2f, 1.9f};
        assertEquals(2, new Sampler(new SamplingOptions(1f, 1, 1f, 1f, 7), 4).sample(logits.clone()));
        assertEquals(2, new Sampler(new SamplingOptions(1f, 0, 1e-6f, 1f, 7), 4).sample(logits.clone()));
    }

    /** Two tokens with logits ln 3 and 0 are drawn 3:1; 20000 draws put the share within 0.75 ± 0.02. */
    @Test
    void drawsFollowTheSoftmax() {
        Sampler s = new Sampler(new SamplingOptions(1f, 0, 1f, 1f, 42), 2);
        int first = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            if (s.sample(new float[] {(float) Math.log(3), 0f}) == 0) {
                first++;
            }
        }
        assertEquals(0.75, first / (double) n, 0.02);
    }

    @Test
    void sameSeedSameDraws() {
        var opts = new SamplingOptions(0.8f, 50, 0.9f, 1f, 123);
        Sampler a = new Sampler(opts, 100);
        Sampler b = new Sampler(opts, 100);
        java.util.Random r = new java.util.Random(1);
        boolean varied = false;
        int last = -1;
        for (int i = 0; i < 50; i++) {
            float[] logits = new float[100];
            for (int j = 0; j < 100; j++) {
                logits[j] = (float) r.nextGaussian();
            }
            int x = a.sample(logits.clone());
            assertEquals(x, b.sample(logits.clone()));
            varied |= last >= 0 && x != last;
            last = x;
        }
        assertTrue(varied);
    }

    @Test
    void badOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(-1f, 0, 1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, 0, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, -2, 1f, 1f, 0));
    }

    /** A vanishing temperature must behave like greedy, never like "anything" (no overflow to NaN). */
    @Test
    void tinyTemperatureIsGreedy() {
        float[] logits = {10f, 9f, -5f, 0f, 3f};
        assertEquals(0, new Sampler(new SamplingOptions(1e-38f, 0, 1f, 1f, 1), 5).sample(logits.clone()));
        assertEquals(0, new Sampler(new SamplingOptions(1e-38f, 2, 1f, 1f, 1), 5).sample(logits.clone()));
        assertEquals(1, Sampler.argmax(new float[] {Float.NaN, 2f, 1f}, 3), "NaN never wins");
    }

    /** The chooser that leaves logits on the backend draws what sampling on the host draws, seed for seed. */
    @Test
    void backendChooserFollowsTheHostSampler() {
        Random random = new Random(3);
        for (SamplingOptions options : new SamplingOptions[] {new SamplingOptions(0.9f, 20, 0.8f, 1f, 11),
                new SamplingOptions(0f, 0, 1f, 1f, 0), new SamplingOptions(1f, 0, 1f, 1.3f, 12)}) {
            Sampler host = new Sampler(options, 200);
            Sampler onBackend = new Sampler(options, 200);
            try (var backend = new ReferenceBackend()) {
                Tensor logits = backend.allocate("logits", 200);
                ToIntFunction<Tensor> chooser = onBackend.chooser(backend);
                for (int step = 0; step < 50; step++) {
                    float[] x = new float[200];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (random.nextGaussian() * 2);
                    }
                    backend.write(logits, x);
                    int want = host.sample(x.clone());
                    assertEquals(want, chooser.applyAsInt(logits), options + " step " + step);
                    host.observe(want);
                    onBackend.observe(want);
                }
            }
        }
    }
}

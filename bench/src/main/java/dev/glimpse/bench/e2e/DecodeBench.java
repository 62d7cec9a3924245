package dev.glimpse.bench.e2e;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.cpu.ReferenceBackend;
import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.generate.Session;
import dev.glimpse.generate.TokenListener;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.model.TinyCheckpoint;
import dev.glimpse.tensor.DType;
import java.nio.file.Path;
import java.util.Map;
import jdk.incubator.vector.FloatVector;

/**
 * Prefill and decode tokens/s on a random model shaped like Qwen2.5-0.5B (hidden 896, 24 layers,
 * 14/2 heads, MLP 4864, tied 151936-token head), BF16 and F32 weights, Vector API backend against
 * the scalar reference backend in the same process; plus the weight bandwidth decode achieves.
 */
final class DecodeBench {

    private static final int PROMPT = 128;
    private static final int DECODE = 64;
    private static final int REFERENCE_DECODE = 3;

    private DecodeBench() {
    }

    static void main(String[] args) throws Exception {
        int threads = EndToEnd.threads(args);
        System.out.printf("decode bench: Qwen2.5-0.5B shapes, prompt %d, decode %d, %d threads%n", PROMPT, DECODE, threads);
        System.out.printf("%-6s %-10s %12s %12s %12s %10s%n", "dtype", "backend", "prefill t/s", "decode t/s",
                "weights GB/s", "vs ref");
        for (DType dtype : new DType[] {DType.BF16, DType.F32}) {
            Path dir = RandomModels.get("qwen05b-" + dtype.name().toLowerCase(), TinyCheckpoint.Spec.qwen05b(dtype));
            double reference;
            try (Backend ref = new ReferenceBackend(); Model model = Model.load(dir, ref, LoadProgress.NONE)) {
                reference = run(model, 8, REFERENCE_DECODE)[1];
            }
            try (Backend fast = new VectorBackend(FloatVector.SPECIES_PREFERRED, threads);
                    Model model = Model.load(dir, fast, LoadProgress.NONE)) {
                run(model, PROMPT, 8); // warm-up: JIT and page cache
                double[] r = run(model, PROMPT, DECODE);
                double gbs = textWeightBytes(model) * r[1] / 1e9;
                System.out.printf("%-6s %-10s %12.1f %12.2f %12.1f %9.0fx%n", dtype, "vector", r[0], r[1], gbs,
                        r[1] / reference);
                System.out.printf("%-6s %-10s %12s %12.3f %12s %10s%n", dtype, "reference", "-", reference, "-", "1x");
            }
        }
    }

    /** {prefill tokens/s, decode tokens/s} for a random prompt. */
    static double[] run(Model model, int prompt, int decode) {
        int[] ids = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            ids[i] = 1000 + (i * 7919) % 50000;
        }
        try (Session session = new Session(model, prompt + decode + 1)) {
            var round = session.run(ids, java.util.List.of(), null, decode, SamplingOptions.GREEDY, TokenListener.NONE);
            double prefill = prompt / (round.prefillNanos() / 1e9);
            double steps = Math.max(1, round.generatedIds().length - 1);
            return new double[] {prefill, steps / (round.decodeNanos() / 1e9)};
        }
    }

    /** Bytes of the weights one decode step reads: every decoder matrix plus the head. */
    static long textWeightBytes(Model model) {
        long total = 0;
        for (Map.Entry<String, Long> e : sizes(model).entrySet()) {
            if (!e.getKey().startsWith("visual.")) {
                total += e.getValue();
            }
        }
        return total;
    }

    private static Map<String, Long> sizes(Model model) {
        Map<String, Long> m = new java.util.HashMap<>();
        for (String name : model.checkpoint().names()) {
            m.put(name, model.checkpoint().tensor(name).data().byteSize());
        }
        return m;
    }
}

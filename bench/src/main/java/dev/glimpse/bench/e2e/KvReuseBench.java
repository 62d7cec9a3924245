package dev.glimpse.bench.e2e;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.model.TinyCheckpoint;
import dev.glimpse.tensor.DType;
import dev.glimpse.think.AskOptions;
import dev.glimpse.think.AskTrace;
import dev.glimpse.think.Policy;
import dev.glimpse.think.VisionThink;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * Round 2 of VisionThink with round 1's KV cache reused, against a fresh prefill of the whole
 * conversation (measured in the same run, on the same model), at 448² and 896²: a random model
 * with Qwen2.5-VL-7B's text and vision widths and fewer layers (the ratio does not depend on depth).
 * "ideal" is the token-count bound: new-turn tokens / all tokens × re-prefill time.
 */
final class KvReuseBench {

    private KvReuseBench() {
    }

    static void main(String[] args) throws Exception {
        int threads = EndToEnd.threads(args);
        Path dir = RandomModels.get("kvreuse-7bw-bf16", TinyCheckpoint.Spec.qwen7bWidths(2, 2, DType.BF16));
        System.out.printf("kv-reuse bench: 7B widths, 2 text layers, BF16, %d threads%n", threads);
        System.out.printf("%-6s %8s %8s %12s %12s %12s %8s %10s%n", "image", "reused", "new", "round2 ms",
                "reprefill ms", "ideal ms", "speedup", "vs ideal");
        try (Backend backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, threads);
                Model model = Model.load(dir, backend, LoadProgress.NONE)) {
            VisionThink think = new VisionThink(model);
            AskOptions options = new AskOptions(Policy.ADAPTIVE, 1, SamplingOptions.GREEDY, true, false, 0, null, true);
            VisionThink.Listener quiet = id -> { };
            think.ask(List.of(VisionBench.randomImage(224, 224, 3)), "warm up", options, quiet);
            for (int side : new int[] {448, 896}) {
                AskTrace trace = think.ask(List.of(VisionBench.randomImage(side, side, side)),
                        "What number is written in the small box?", options, quiet);
                Round second = trace.rounds().get(1).round();
                double round2 = second.prefillNanos() / 1e6;
                double reprefill = trace.reprefillNanos() / 1e6;
                int all = second.reusedTokens() + second.prefillTokens();
                double ideal = reprefill * second.prefillTokens() / all;
                System.out.printf("%-6s %8d %8d %12.1f %12.1f %12.1f %7.2fx %9.0f%%%n", side + "²",
                        second.reusedTokens(), second.prefillTokens(), round2, reprefill, ideal, reprefill / round2,
                        100 * round2 / ideal);
            }
        }
    }
}

package dev.glimpse.cli;

import dev.glimpse.backend.Backends;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.image.ImageDecoder;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.think.AskOptions;
import dev.glimpse.think.AskTrace;
import dev.glimpse.think.EvalItem;
import dev.glimpse.think.Policy;
import dev.glimpse.think.RoundTrace;
import dev.glimpse.think.VisionThink;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The built-in demo: the miniature VisionThink (models/minivt) answers a handful of items of the
 * built-in split under the adaptive protocol, showing the half-size answer or the resize request,
 * round 2 on the reused KV cache, and the answer; then a one-line summary.
 */
@Command(name = "demo", description = "Run the built-in miniature VisionThink on a few items (adaptive protocol).")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--items", defaultValue = "6", description = "How many items of the built-in split (default: ${DEFAULT-VALUE}).")
    int count;

    @Override
    public Integer call() throws Exception {
        if (count < 1) {
            throw new Cli.UsageError("--items must be ≥ 1, got " + count);
        }
        List<EvalItem> items = EvalItem.readJsonl(BuiltIn.evalSplit());
        items = items.subList(0, Math.min(count, items.size()));
        AskOptions options = new AskOptions(Policy.ADAPTIVE, 96, SamplingOptions.GREEDY, false, false, 0, null, false);
        int correct = 0;
        int resized = 0;
        int tokens = 0;
        long nanos = 0;
        try (Model model = Model.loadOwning(BuiltIn.model(), Backends.open("cpu", 0), LoadProgress.NONE)) {
            System.out.println("model: " + BuiltIn.model() + " (a tiny Qwen2.5-VL trained on the synthetic split; "
                    + "see tools/minivt/README.md for its accuracy)");
            VisionThink think = new VisionThink(model);
            for (EvalItem item : items) {
                AskTrace trace = think.ask(List.of(new ImageDecoder().decode(item.image())), item.question(), options,
                        id -> { });
                System.out.printf("%n%s (%s) — %s%n", item.image().getFileName(), item.kind(), item.question());
                for (int r = 0; r < trace.rounds().size(); r++) {
                    RoundTrace round = trace.rounds().get(r);
                    System.out.printf("  round %d (%s, %d visual tokens, %d reused): %s%n", r + 1,
                            r == 0 ? "half size" : "full size", round.visualTokens(), round.round().reusedTokens(),
                            round.text().strip().replace("\n", " "));
                }
                boolean ok = item.correct(trace.answer());
                System.out.printf("  answer: %s (expected %s) %s%n", trace.answer(), item.answer(), ok ? "✓" : "✗");
                correct += ok ? 1 : 0;
                resized += trace.resizeRequested() ? 1 : 0;
                tokens += trace.rounds().stream().mapToInt(RoundTrace::visualTokens).sum();
                nanos += trace.totalNanos();
            }
        }
        System.out.printf("%n%d items: %d correct, %d asked for the full image, %d visual tokens, %.1f s%n",
                items.size(), correct, resized, tokens, nanos / 1e9);
        return 0;
    }
}

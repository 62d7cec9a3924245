package dev.glimpse.cli;

import dev.glimpse.image.ImageDecoder;
import dev.glimpse.image.RgbImage;
import dev.glimpse.model.Model;
import dev.glimpse.think.AskOptions;
import dev.glimpse.think.AskTrace;
import dev.glimpse.think.Policy;
import dev.glimpse.think.VisionThink;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Answers a question about one or more images under a resolution policy. */
@Command(name = "ask", description = "Answer a question about images (VisionThink policies; --json for the trace).")
final class AskCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingFlags sampling;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "An image (repeat for several).")
    List<Path> images;

    @Parameters(paramLabel = "QUESTION", description = "The question.")
    String question;

    @Option(names = "--policy", defaultValue = "adaptive", paramLabel = "adaptive|low|high", description = "Resolution policy (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--max-new-tokens", defaultValue = "1024", description = "Token budget per round (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--force-resize", description = "Research: skip round-1 generation, take the canonical resize call, run round 2.")
    boolean forceResize;

    @Option(names = "--evict-lowres", description = "Research: drop the half-size images' KV rows before round 2.")
    boolean evictLowRes;

    @Option(names = "--measure-reprefill", description = "Research: also time a fresh prefill of the whole conversation at round 2 (reported as reprefill_ms).")
    boolean measureReprefill;

    @Option(names = "--save-kv", paramLabel = "FILE", description = "Save the conversation's KV cache (resume it with generate --load-kv).")
    Path saveKv;

    @Option(names = "--json", description = "Print the JSON trace instead of the transcript.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        AskOptions options;
        try {
            options = new AskOptions(Policy.parse(policy), maxNewTokens, sampling.options(), forceResize, evictLowRes,
                    modelOptions.contextTokens, saveKv, measureReprefill);
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError(e.getMessage());
        }
        Cli.requireWritableParent(saveKv, "--save-kv");
        List<RgbImage> decoded = new ArrayList<>();
        for (Path image : images) {
            decoded.add(new ImageDecoder().decode(image));
        }
        PrintStream out = System.out;
        try (Model model = modelOptions.load()) {
            var stream = new Object() {
                dev.glimpse.tokenizer.Tokenizer.StreamDecoder decoder = model.tokenizer().streamDecoder(true);
            };
            VisionThink.Listener listener = new VisionThink.Listener() {
                @Override
                public void roundStarted(int round, String description) {
                    if (!json) {
                        out.print(stream.decoder.flush());
                        out.printf("%n[round %d: %s]%n", round, description);
                        stream.decoder = model.tokenizer().streamDecoder(true);
                    }
                }

                @Override
                public void onToken(int id) {
                    if (!json) {
                        out.print(stream.decoder.push(id));
                        out.flush();
                    }
                }
            };
            AskTrace trace = new VisionThink(model).ask(decoded, question, options, listener);
            if (json) {
                out.println(Trace.toJson(Trace.ask(trace)));
            } else {
                out.println(stream.decoder.flush());
                out.println("\nanswer: " + trace.answer());
                trace.notes().forEach(n -> out.println("note: " + n));
                System.err.println(Trace.summary(trace));
            }
        }
        return 0;
    }
}

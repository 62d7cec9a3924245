package dev.glimpse.cli;

import dev.glimpse.backend.Backends;
import dev.glimpse.chat.ChatFormat;
import dev.glimpse.chat.Message;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.generate.Session;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.model.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The built-in demo. Until the trained miniature VisionThink exists, it writes a tiny random
 * Qwen2.5-VL checkpoint (real tokenizer) and runs the whole text path on it: chat format, tokenizer,
 * prefill, greedy decode, streaming detokenizer. The words are random; the pipeline is real.
 */
@Command(name = "demo", description = "Run the built-in demo model end to end.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the demo checkpoint lives (default: ~/.cache/glimpse/demo-tiny).")
    Path dir;

    @Option(names = "--max-new-tokens", defaultValue = "24", description = "Tokens per answer (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Override
    public Integer call() throws Exception {
        Path modelDir = dir != null ? dir : Path.of(System.getProperty("user.home"), ".cache", "glimpse", "demo-tiny");
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            System.err.println("demo: writing a tiny random Qwen2.5-VL checkpoint to " + modelDir);
            TinyCheckpoint.write(modelDir, TinyCheckpoint.Spec.demo());
        }
        List<String> prompts = List.of("What is adaptive resolution?", "数一数：一、二、三", "Write a haiku about KV caches 🚀");
        try (Model model = Model.loadOwning(modelDir, Backends.open("cpu", 0), LoadProgress.NONE)) {
            System.out.println("model: " + modelDir + " (random weights: the text is noise, the pipeline is real)");
            for (String prompt : prompts) {
                String text = new ChatFormat().render(List.of(Message.user(prompt)), List.of(), true);
                int[] ids = model.tokenizer().encode(text);
                System.out.println("\nuser> " + prompt);
                System.out.print("assistant> ");
                var stream = model.tokenizer().streamDecoder(true);
                try (Session session = new Session(model, 1024)) {
                    Round round = session.run(ids, List.of(), null, maxNewTokens, SamplingOptions.GREEDY,
                            id -> System.out.print(stream.push(id)));
                    System.out.println(stream.flush());
                    System.out.println("  " + Trace.summary(round));
                }
            }
        }
        return 0;
    }
}

package dev.glimpse.cli;

import dev.glimpse.chat.ChatFormat;
import dev.glimpse.chat.Message;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.Session;
import dev.glimpse.model.Model;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Text generation: the prompt goes through the default chat format unless --raw. */
@Command(name = "generate", description = "Generate text from a prompt (streams tokens; --json for the trace).")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingFlags sampling;

    @Option(names = "--prompt", required = true, description = "The user message (or the whole prompt with --raw).")
    String prompt;

    @Option(names = "--raw", description = "Send the prompt as is, without the chat format.")
    boolean raw;

    @Option(names = "--max-new-tokens", defaultValue = "1024", description = "Token budget (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--json", description = "Print one JSON object instead of streaming text.")
    boolean json;

    @Override
    public Integer call() {
        if (maxNewTokens < 1) {
            throw new Cli.UsageError("--max-new-tokens must be ≥ 1, got " + maxNewTokens);
        }
        long start = System.nanoTime();
        try (Model model = modelOptions.load(); var backend = model.backend()) {
            Tokenizer tokenizer = model.tokenizer();
            String text = raw ? prompt : new ChatFormat().render(List.of(Message.user(prompt)), List.of(), true);
            int[] ids = tokenizer.encode(text);
            Session session = new Session(model, modelOptions.contextTokens);
            PrintStream out = System.out;
            var stream = tokenizer.streamDecoder(true);
            Round round = session.run(ids, List.of(), null, maxNewTokens, sampling.options(), id -> {
                if (!json) {
                    out.print(stream.push(id));
                    out.flush();
                }
            });
            String answer = tokenizer.decode(round.generatedIds(), true);
            if (json) {
                var trace = Trace.round(round, answer, List.of(), 0, 0, 0);
                trace.put("total_ms", Trace.ms(System.nanoTime() - start));
                out.println(Trace.toJson(trace));
            } else {
                out.print(stream.flush());
                out.println();
                System.err.println(Trace.summary(round));
            }
        }
        return 0;
    }
}

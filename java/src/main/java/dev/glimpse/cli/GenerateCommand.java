package dev.glimpse.cli;

import dev.glimpse.chat.ChatFormat;
import dev.glimpse.chat.Message;
import dev.glimpse.generate.KvSnapshot;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.Session;
import dev.glimpse.model.Model;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
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

    @Option(names = "--load-kv", paramLabel = "FILE", description = "Resume a saved conversation: the prompt becomes its next user turn.")
    Path loadKv;

    @Option(names = "--save-kv", paramLabel = "FILE", description = "Save the conversation's KV cache at the end.")
    Path saveKv;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1) {
            throw new Cli.UsageError("--max-new-tokens must be ≥ 1, got " + maxNewTokens);
        }
        var samplingOptions = sampling.options();
        Cli.requireWritableParent(saveKv, "--save-kv");
        long start = System.nanoTime();
        try (Model model = modelOptions.load()) {
            Tokenizer tokenizer = model.tokenizer();
            Session session;
            String text;
            if (loadKv == null) {
                session = new Session(model, modelOptions.contextTokens);
                text = raw ? prompt : new ChatFormat().render(List.of(Message.user(prompt)), List.of(), true);
            } else {
                session = KvSnapshot.load(model, loadKv, modelOptions.contextTokens);
                text = raw ? prompt : ChatFormat.nextUserTurn(prompt);
                int imEnd = tokenizer.tokenId("<|im_end|>").orElseThrow();
                if (!raw && session.pendingToken() >= 0 && session.pendingToken() != imEnd) {
                    // The saved turn was cut by its budget: close it before the next turn.
                    session.replacePending(imEnd);
                }
            }
            int[] ids = tokenizer.encode(text);
            PrintStream out = System.out;
            var stream = tokenizer.streamDecoder(true);
            Round round = session.run(ids, List.of(), null, maxNewTokens, samplingOptions, id -> {
                if (!json) {
                    out.print(stream.push(id));
                    out.flush();
                }
            });
            String answer = tokenizer.decode(round.generatedIds(), true);
            if (saveKv != null) {
                KvSnapshot.save(session, saveKv);
            }
            session.close();
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

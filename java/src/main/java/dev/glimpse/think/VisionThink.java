package dev.glimpse.think;

import dev.glimpse.chat.ChatFormat;
import dev.glimpse.chat.Message;
import dev.glimpse.generate.KvSnapshot;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.Session;
import dev.glimpse.generate.TokenListener;
import dev.glimpse.generate.VisualInput;
import dev.glimpse.image.RgbImage;
import dev.glimpse.image.VisionThinkImages;
import dev.glimpse.model.Model;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The VisionThink protocol (VISIONTHINK.md) on one model: round 1 on half-size images, round 2 with
 * the originals appended to the same conversation when the model calls resize_image, so round 1's
 * KV cache is reused as is.
 */
public final class VisionThink {

    private final Model model;

    public VisionThink(Model model) {
        this.model = model;
    }

    /** Streaming hooks: a round begins, a token is chosen. */
    public interface Listener extends TokenListener {
        default void roundStarted(int round, String description) {
        }
    }

    /** One question, one conversation: its KV cache is freed when the answer is complete. */
    public AskTrace ask(List<RgbImage> images, String question, AskOptions options, Listener listener) {
        try (Session session = new Session(model, options.contextTokens())) {
            return converse(session, images, question, options, listener);
        }
    }

    private AskTrace converse(Session session, List<RgbImage> images, String question, AskOptions options,
            Listener listener) {
        long start = System.nanoTime();
        List<String> notes = new ArrayList<>();
        Tokenizer tokenizer = model.tokenizer();
        List<RoundTrace> rounds = new ArrayList<>();
        if (options.policy() == Policy.HIGH) {
            VisualInput full = VisualInput.encode(model, images);
            String prompt = new ChatFormat().render(List.of(Message.user(
                    imageBlocks(full.padsPerImage(), "") + question)), List.of(), true);
            listener.roundStarted(1, "full resolution");
            Round r = session.run(tokenizer.encode(prompt), full.gridsThw(), full.embeds(), options.maxNewTokens(),
                    options.sampling(), listener);
            String text = tokenizer.decode(r.generatedIds(), true);
            rounds.add(RoundTrace.of(r, text, full));
            return finish(session, options, rounds, false, false, notes, 0, -1, start);
        }

        List<RgbImage> halves = new ArrayList<>();
        for (RgbImage image : images) {
            VisionThinkImages.Adjusted half = VisionThinkImages.halfSize(image);
            halves.add(half.image());
            if (half.hasNote()) {
                notes.add(half.note());
            }
        }
        VisualInput low = VisualInput.encode(model, halves);
        int[] roundOneIds = tokenizer.encode(Prompts.roundOne(low.padsPerImage(), question));
        Round first;
        String firstText;
        if (options.forceResize()) {
            // Research mode: round 1's reply is the canonical call, fed as if the model had written it.
            int[] reply = tokenizer.encode(Prompts.CANONICAL_RESIZE_CALL + "<|im_end|>");
            listener.roundStarted(1, "half size, reply forced to the resize call");
            Round prefill = session.run(concat(roundOneIds, reply), low.gridsThw(), low.embeds(), 0,
                    options.sampling(), listener);
            first = new Round(roundOneIds, reply, "forced", 0, prefill.prefillNanos(), 0);
            for (int id : reply) {
                listener.onToken(id);
            }
            firstText = tokenizer.decode(reply, true);
        } else {
            listener.roundStarted(1, "half size");
            first = session.run(roundOneIds, low.gridsThw(), low.embeds(), options.maxNewTokens(), options.sampling(),
                    listener);
            firstText = tokenizer.decode(first.generatedIds(), true);
        }
        rounds.add(RoundTrace.of(first, firstText, low));
        ResizeRequest request = ResizeRequest.detect(firstText);
        boolean resize = request.kind() == ResizeRequest.Kind.RESIZE;
        if (options.policy() == Policy.LOW || request.kind() == ResizeRequest.Kind.NONE) {
            return finish(session, options, rounds, resize, false, notes, 0, -1, start);
        }
        if (session.pendingToken() >= 0 && session.pendingToken() != imEnd(tokenizer)) {
            // VISIONTHINK.md: round 1 ends with <|im_end|> (a budget cut, or the other EOS id, is replaced).
            session.replacePending(imEnd(tokenizer));
        }
        long evicted = 0;
        if (options.evictLowRes()) {
            evicted = evictImages(session, roundOneIds);
            notes.add("evicted " + low.visualTokens() + " half-size visual tokens from the KV cache (" + evicted + " bytes)");
        }
        VisualInput full = VisualInput.NONE;
        String turn;
        List<RgbImage> originals = new ArrayList<>();
        if (resize) {
            for (RgbImage image : images) {
                VisionThinkImages.Adjusted original = VisionThinkImages.minSide28(image);
                originals.add(original.image());
                if (original.hasNote()) {
                    notes.add(original.note());
                }
            }
            full = VisualInput.encode(model, originals);
            turn = Prompts.resizeTurn(full.padsPerImage());
            listener.roundStarted(2, "full resolution, round-1 KV cache reused");
        } else {
            turn = Prompts.errorTurn(request.error());
            listener.roundStarted(2, "after a malformed tool call");
        }
        int[] turnIds = tokenizer.encode(turn);
        long reprefill = -1;
        if (options.measureReprefill()) {
            if (options.evictLowRes()) {
                notes.add("re-prefill not measured: --evict-lowres changed the conversation");
            } else {
                int[] conversation = concat(session.cachedTokens(),
                        session.pendingToken() < 0 ? turnIds : concat(new int[] {session.pendingToken()}, turnIds));
                reprefill = ReprefillProbe.measure(model, conversation, halves, resize ? originals : List.of());
            }
        }
        Round second = session.run(turnIds, full.gridsThw(), full.embeds(), options.maxNewTokens(),
                options.sampling(), listener);
        String secondText = tokenizer.decode(second.generatedIds(), true);
        rounds.add(RoundTrace.of(second, secondText, full));
        boolean again = ResizeRequest.detect(secondText).kind() != ResizeRequest.Kind.NONE;
        if (again) {
            notes.add("the model called a tool again in round 2; the conversation ends there (at most 2 rounds)");
        }
        return finish(session, options, rounds, resize, again, notes, evicted, reprefill, start);
    }

    private AskTrace finish(Session session, AskOptions options, List<RoundTrace> rounds, boolean resize,
            boolean again, List<String> notes, long evicted, long reprefill, long start) {
        if (options.saveKv() != null) {
            try {
                KvSnapshot.save(session, options.saveKv());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the KV cache to " + options.saveKv() + ": " + e.getMessage(), e);
            }
            notes.add("KV cache of " + session.cache().length() + " tokens saved to " + options.saveKv());
        }
        StringBuilder response = new StringBuilder();
        for (RoundTrace r : rounds) {
            response.append(r.text());
        }
        String text = response.toString();
        return new AskTrace(options.policy(), List.copyOf(rounds), resize, again, text,
                ResizeRequest.extractAnswer(text), List.copyOf(notes), evicted, reprefill, System.nanoTime() - start);
    }

    /** Drops the cache rows of round 1's image pads (they sit at the cache indices of the prompt). */
    private long evictImages(Session session, int[] roundOneIds) {
        int pad = model.config().imageTokenId();
        long bytes = 0;
        for (int i = roundOneIds.length - 1; i >= 0; ) {
            if (roundOneIds[i] != pad) {
                i--;
                continue;
            }
            int end = i + 1;
            while (i >= 0 && roundOneIds[i] == pad) {
                i--;
            }
            session.evict(i + 1, end - i - 1);
            bytes += (long) (end - i - 1) * session.cache().bytesPerToken();
        }
        return bytes;
    }

    private static String imageBlocks(int[] pads, String separator) {
        StringBuilder s = new StringBuilder();
        for (int p : pads) {
            s.append(ChatFormat.imagePlaceholder(p)).append(separator);
        }
        return s.toString();
    }

    private static int imEnd(Tokenizer tokenizer) {
        return tokenizer.tokenId("<|im_end|>").orElseThrow(() -> new IllegalStateException("tokenizer has no <|im_end|>"));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

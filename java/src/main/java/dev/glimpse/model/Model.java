package dev.glimpse.model;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.Scratch;
import dev.glimpse.io.Checkpoint;
import dev.glimpse.io.CheckpointException;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.tensor.Tensor;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A loaded Qwen2.5-VL checkpoint: config, tokenizer and weights resident on one backend. The decoder
 * and vision buffers are shared by every conversation, so a Model runs one step at a time: use it
 * from one thread (one Model per thread for parallel work).
 */
public final class Model implements AutoCloseable {

    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final Decoder decoder;
    private final VisionEncoder vision;
    private final Scratch scratch;
    private boolean ownsBackend;

    private Model(Checkpoint checkpoint, Tokenizer tokenizer, Backend backend, Decoder decoder, VisionEncoder vision) {
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.decoder = decoder;
        this.vision = vision;
        this.scratch = new Scratch(backend);
    }

    /** Loads a checkpoint onto a backend that stays the caller's (close the model, then the backend). */
    public static Model load(Path dir, Backend backend, LoadProgress progress) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("--model " + dir + " is not a directory (give the checkpoint's folder, "
                    + "holding config.json, *.safetensors and tokenizer.json)");
        }
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new CheckpointException("model directory " + dir + " has no tokenizer.json");
        }
        Tokenizer tokenizer;
        try {
            tokenizer = Tokenizer.load(tokenizerFile);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + tokenizerFile + ": " + e.getMessage());
        }
        Checkpoint checkpoint = Checkpoint.open(dir, progress);
        try {
            ModelConfig config = checkpoint.config();
            if (tokenizer.vocabSize() > config.text().vocabSize()) {
                throw new CheckpointException("tokenizer.json in " + dir + " has " + tokenizer.vocabSize()
                        + " tokens but config.json says vocab_size " + config.text().vocabSize());
            }
            DecoderWeights weights = DecoderWeights.load(checkpoint, config.text(), backend);
            Decoder decoder = new Decoder(config.text(), weights, backend, config.imageTokenId(),
                    backend.batchRows());
            VisionEncoder vision = config.vision() == null ? null
                    : new VisionEncoder(config.vision(), VisionWeights.load(checkpoint, config.vision(), backend), backend);
            return new Model(checkpoint, tokenizer, backend, decoder, vision);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Backend backend() {
        return backend;
    }

    public Decoder decoder() {
        return decoder;
    }

    /** The vision tower; an error for a text-only checkpoint. */
    public VisionEncoder vision() {
        if (vision == null) {
            throw new IllegalStateException("model " + checkpoint.dir() + " has no vision_config: it cannot take images");
        }
        return vision;
    }

    /** A buffer for the vision rows of one prompt ([tokens, hidden]); reused by the next call. */
    public Tensor imageEmbeddings(int tokens) {
        return scratch.get("image-embeddings", tokens, config.text().hiddenSize());
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** Context used when none is asked for: 8192 tokens, or less when the model allows less. */
    public static final int DEFAULT_CONTEXT = 8192;

    /** The context a conversation gets when none is asked for. */
    public int defaultContext() {
        int max = config.text().maxPositionEmbeddings();
        return max > 0 ? Math.min(DEFAULT_CONTEXT, max) : DEFAULT_CONTEXT;
    }

    /** A fresh KV cache for one conversation of up to contextTokens tokens (≤ 0: the default). */
    public KvCache newCache(int contextTokens) {
        int max = config.text().maxPositionEmbeddings();
        if (contextTokens <= 0) {
            contextTokens = defaultContext();
        }
        if (max > 0 && contextTokens > max) {
            throw new IllegalArgumentException("--ctx " + contextTokens + " exceeds the model's max_position_embeddings "
                    + max);
        }
        return new KvCache(backend, config.text(), contextTokens);
    }

    /** Loads a checkpoint onto a backend the model then owns: closing the model closes the backend. */
    public static Model loadOwning(Path dir, Backend backend, LoadProgress progress) {
        Model model;
        try {
            model = load(dir, backend, progress);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        model.ownsBackend = true;
        return model;
    }

    /** Frees the work buffers and unmaps the checkpoint; closes the backend too when the model owns it. */
    @Override
    public void close() {
        scratch.close();
        decoder.close();
        if (vision != null) {
            vision.close();
        }
        checkpoint.close();
        if (ownsBackend) {
            backend.close();
        }
    }
}

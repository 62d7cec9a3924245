package dev.glimpse.cli;

import dev.glimpse.generate.VisualInput;
import dev.glimpse.image.ImageDecoder;
import dev.glimpse.image.RgbImage;
import dev.glimpse.io.Npy;
import dev.glimpse.model.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes the vision tower's merged embeddings (tokens × hidden, float32 .npy). */
@Command(name = "embed", description = "Encode images with the vision tower and write the embeddings as .npy.")
final class EmbedCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "An image (repeat for several: rows are concatenated).")
    List<Path> images;

    @Option(names = "--out", defaultValue = "embeddings.npy", paramLabel = "FILE.npy", description = "Output file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<RgbImage> decoded = new ArrayList<>();
        for (Path image : images) {
            decoded.add(new ImageDecoder().decode(image));
        }
        try (Model model = modelOptions.load()) {
            VisualInput input = VisualInput.encode(model, decoded);
            int hidden = model.config().text().hiddenSize();
            float[] rows = new float[input.visualTokens() * hidden];
            model.backend().read(input.embeds(), rows);
            Npy.write(out, rows, input.visualTokens(), hidden);
            System.err.printf("wrote %s: %d tokens × %d (grids %s), preprocess %.1f ms, vision %.1f ms%n", out,
                    input.visualTokens(), hidden,
                    input.gridsThw().stream().map(java.util.Arrays::toString).toList(),
                    input.preprocessNanos() / 1e6, input.visionNanos() / 1e6);
        }
        return 0;
    }
}

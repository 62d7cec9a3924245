package dev.glimpse.cli;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.Backends;
import dev.glimpse.io.Checkpoint;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.ModelConfig;
import dev.glimpse.model.TextConfig;
import dev.glimpse.model.VisionConfig;
import dev.glimpse.tensor.DType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints what a checkpoint holds without loading its weights. */
@Command(name = "inspect", description = "Show a checkpoint's config, tensor count and bytes by dtype.")
final class InspectCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
    Path model;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "cpu|cuda|auto", description = "Also show what this device choice resolves to (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        try (Checkpoint checkpoint = Checkpoint.open(model, LoadProgress.NONE)) {
            ModelConfig c = checkpoint.config();
            TextConfig t = c.text();
            System.out.printf("model      %s (%s), dtype %s%n", model, c.modelType(), c.dtype());
            System.out.printf("text       hidden %d, layers %d, heads %d/%d kv, head_dim %d, mlp %d, vocab %d, rope_theta %.0f, mrope %s, tied %b, max_pos %d%n",
                    t.hiddenSize(), t.layers(), t.heads(), t.kvHeads(), t.headDim(), t.intermediateSize(), t.vocabSize(),
                    t.ropeTheta(), t.mropeSection() == null ? "none" : Arrays.toString(t.mropeSection()),
                    t.tieWordEmbeddings(), t.maxPositionEmbeddings());
            VisionConfig v = c.vision();
            if (v != null) {
                System.out.printf("vision     depth %d, hidden %d, heads %d, mlp %d, patch %d, temporal %d, merge %d, window %d, full-attention blocks %s, out %d%n",
                        v.depth(), v.hiddenSize(), v.heads(), v.intermediateSize(), v.patchSize(), v.temporalPatchSize(),
                        v.spatialMergeSize(), v.windowSize(), Arrays.toString(v.fullAttBlockIndexes()), v.outHiddenSize());
            }
            System.out.printf("tokens     image %d, vision start %d, vision end %d, eos %s%n", c.imageTokenId(),
                    c.visionStartTokenId(), c.visionEndTokenId(), Arrays.toString(c.eosTokenIds()));
            System.out.printf("tensors    %d%n", checkpoint.tensorCount());
            long total = 0;
            for (Map.Entry<DType, Long> e : checkpoint.bytesByDtype().entrySet()) {
                System.out.printf("bytes      %-5s %,d%n", e.getKey(), e.getValue());
                total += e.getValue();
            }
            System.out.printf("bytes      total %,d (%.2f GB)%n", total, total / 1e9);
        }
        try (Backend backend = Backends.open(device, 0)) {
            System.out.printf("device     %s -> %s%n", device, backend.name());
        }
        return 0;
    }
}

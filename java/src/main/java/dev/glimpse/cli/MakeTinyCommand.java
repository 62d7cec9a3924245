package dev.glimpse.cli;

import dev.glimpse.model.TinyCheckpoint;
import dev.glimpse.tensor.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a random Qwen2.5-VL checkpoint with the real tokenizer (demo, tests, benchmarks). */
@Command(name = "make-tiny", description = "Write a random Qwen2.5-VL checkpoint with the real Qwen2.5-VL tokenizer.")
final class MakeTinyCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write.")
    Path out;

    @Option(names = "--shape", defaultValue = "tiny", paramLabel = "tiny|qwen-0.5b", description = "Shapes (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "f32|bf16|f16", description = "Weight dtype (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Override
    public Integer call() throws Exception {
        DType type = switch (dtype) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new Cli.UsageError("--dtype must be f32, bf16 or f16, got " + dtype);
        };
        TinyCheckpoint.Spec base = switch (shape) {
            case "tiny" -> TinyCheckpoint.Spec.demo();
            case "qwen-0.5b" -> TinyCheckpoint.Spec.qwen05b(type);
            default -> throw new Cli.UsageError("--shape must be tiny or qwen-0.5b, got " + shape);
        };
        TinyCheckpoint.Spec spec = new TinyCheckpoint.Spec(base.hidden(), base.layers(), base.heads(), base.kvHeads(),
                base.intermediate(), base.mropeSection(), base.visionDepth(), base.visionHidden(), base.visionHeads(),
                base.visionIntermediate(), base.fullAttBlocks(), type, base.tied(), base.seed());
        TinyCheckpoint.write(out, spec);
        System.err.println("wrote " + out);
        return 0;
    }
}

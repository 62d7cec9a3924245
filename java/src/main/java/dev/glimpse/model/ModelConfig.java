package dev.glimpse.model;

import dev.glimpse.io.HfConfigReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Everything a model directory says about the model: config.json (either transformers dialect),
 * generation_config.json (EOS ids) and preprocessor_config.json. {@code vision} is null for a
 * text-only model, whose image token ids are then -1. {@code dtype} is the checkpoint's declared
 * torch dtype name ("bfloat16", "float32", ...).
 */
public record ModelConfig(String modelType, TextConfig text, VisionConfig vision,
        int imageTokenId, int visionStartTokenId, int visionEndTokenId, int[] eosTokenIds, String dtype,
        PreprocessorConfig preprocessor) {

    public ModelConfig {
        eosTokenIds = eosTokenIds.clone();
    }

    /** Reads and validates the config files of a Hugging Face model directory. */
    public static ModelConfig load(Path modelDir) {
        return HfConfigReader.read(modelDir);
    }

    @Override
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    // Records compare arrays by identity; configs are values, so compare contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig m && Objects.equals(modelType, m.modelType) && Objects.equals(text, m.text)
                && Objects.equals(vision, m.vision) && imageTokenId == m.imageTokenId
                && visionStartTokenId == m.visionStartTokenId && visionEndTokenId == m.visionEndTokenId
                && Arrays.equals(eosTokenIds, m.eosTokenIds) && Objects.equals(dtype, m.dtype)
                && Objects.equals(preprocessor, m.preprocessor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelType, text, vision, imageTokenId, visionStartTokenId, visionEndTokenId,
                Arrays.hashCode(eosTokenIds), dtype, preprocessor);
    }

    @Override
    public String toString() {
        return "ModelConfig[modelType=" + modelType + ", text=" + text + ", vision=" + vision + ", imageTokenId="
                + imageTokenId + ", visionStartTokenId=" + visionStartTokenId + ", visionEndTokenId="
                + visionEndTokenId + ", eosTokenIds=" + Arrays.toString(eosTokenIds) + ", dtype=" + dtype
                + ", preprocessor=" + preprocessor + "]";
    }
}

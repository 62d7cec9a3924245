package dev.glimpse.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * The vision tower's sizes. {@code windowSize} is in pixels (112 = 4×4 merged tokens of 28 px);
 * blocks listed in {@code fullAttBlockIndexes} attend over the whole image, the others per window.
 */
public record VisionConfig(int depth, int hiddenSize, int heads, int intermediateSize, int patchSize,
        int temporalPatchSize, int spatialMergeSize, int windowSize, int[] fullAttBlockIndexes, int outHiddenSize,
        int inChannels, String hiddenAct) {

    public VisionConfig {
        fullAttBlockIndexes = fullAttBlockIndexes.clone();
    }

    @Override
    public int[] fullAttBlockIndexes() {
        return fullAttBlockIndexes.clone();
    }

    public int headDim() {
        return hiddenSize / heads;
    }

    // Records compare arrays by identity; configs are values, so compare contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof VisionConfig v && depth == v.depth && hiddenSize == v.hiddenSize && heads == v.heads
                && intermediateSize == v.intermediateSize && patchSize == v.patchSize
                && temporalPatchSize == v.temporalPatchSize && spatialMergeSize == v.spatialMergeSize
                && windowSize == v.windowSize && Arrays.equals(fullAttBlockIndexes, v.fullAttBlockIndexes)
                && outHiddenSize == v.outHiddenSize && inChannels == v.inChannels
                && Objects.equals(hiddenAct, v.hiddenAct);
    }

    @Override
    public int hashCode() {
        return Objects.hash(depth, hiddenSize, heads, intermediateSize, patchSize, temporalPatchSize,
                spatialMergeSize, windowSize, Arrays.hashCode(fullAttBlockIndexes), outHiddenSize, inChannels,
                hiddenAct);
    }

    @Override
    public String toString() {
        return "VisionConfig[depth=" + depth + ", hiddenSize=" + hiddenSize + ", heads=" + heads
                + ", intermediateSize=" + intermediateSize + ", patchSize=" + patchSize + ", temporalPatchSize="
                + temporalPatchSize + ", spatialMergeSize=" + spatialMergeSize + ", windowSize=" + windowSize
                + ", fullAttBlockIndexes=" + Arrays.toString(fullAttBlockIndexes) + ", outHiddenSize="
                + outHiddenSize + ", inChannels=" + inChannels + ", hiddenAct=" + hiddenAct + "]";
    }
}

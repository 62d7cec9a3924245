package dev.glimpse.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * The text decoder's sizes. {@code mropeSection} splits the rotary frequencies over the (t, h, w)
 * position axes (Qwen2.5-VL: [16, 24, 24]); null means plain 1-D RoPE.
 */
public record TextConfig(int hiddenSize, int layers, int heads, int kvHeads, int headDim, int intermediateSize,
        int vocabSize, double ropeTheta, int[] mropeSection, double rmsNormEps,
        boolean tieWordEmbeddings, int maxPositionEmbeddings) {

    public TextConfig {
        mropeSection = mropeSection == null ? null : mropeSection.clone();
    }

    @Override
    public int[] mropeSection() {
        return mropeSection == null ? null : mropeSection.clone();
    }

    // Records compare arrays by identity; configs are values, so compare contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof TextConfig t && hiddenSize == t.hiddenSize && layers == t.layers && heads == t.heads
                && kvHeads == t.kvHeads && headDim == t.headDim && intermediateSize == t.intermediateSize
                && vocabSize == t.vocabSize && Double.compare(ropeTheta, t.ropeTheta) == 0
                && Arrays.equals(mropeSection, t.mropeSection) && Double.compare(rmsNormEps, t.rmsNormEps) == 0
                && tieWordEmbeddings == t.tieWordEmbeddings && maxPositionEmbeddings == t.maxPositionEmbeddings;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, ropeTheta,
                Arrays.hashCode(mropeSection), rmsNormEps, tieWordEmbeddings, maxPositionEmbeddings);
    }

    @Override
    public String toString() {
        return "TextConfig[hiddenSize=" + hiddenSize + ", layers=" + layers + ", heads=" + heads + ", kvHeads="
                + kvHeads + ", headDim=" + headDim + ", intermediateSize=" + intermediateSize + ", vocabSize="
                + vocabSize + ", ropeTheta=" + ropeTheta + ", mropeSection=" + Arrays.toString(mropeSection)
                + ", rmsNormEps=" + rmsNormEps + ", tieWordEmbeddings=" + tieWordEmbeddings
                + ", maxPositionEmbeddings=" + maxPositionEmbeddings + "]";
    }
}

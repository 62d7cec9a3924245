package dev.glimpse.backend.cpu;

import dev.glimpse.backend.Backend;
import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;

/** The argument checks every CPU backend makes, so the reference and the fast one reject the same calls. */
final class OpChecks {

    private OpChecks() {
    }

    static void f32(String op, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": tensor " + t + " must be F32");
        }
    }

    static void sameNumel(String op, Tensor a, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + a + " and " + b + " differ in element count");
        }
    }

    static void shape(String op, Tensor t, long rows, long cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(op + ": tensor " + t + " should be [" + rows + ", " + cols + "]");
        }
    }

    static void vector(String op, Tensor t, long length) {
        if (t.numel() != length) {
            throw new IllegalArgumentException(op + ": tensor " + t + " should hold " + length + " elements");
        }
    }

    static void matmul(Tensor out, Tensor x, Tensor w, Tensor bias) {
        f32("matmul", out);
        f32("matmul", x);
        if (x.cols() != w.cols()) {
            throw new IllegalArgumentException("matmul: input " + x + " has " + x.cols() + " columns but weight "
                    + w + " has " + w.cols());
        }
        shape("matmul", out, x.rows(), w.rows());
        if (bias != null) {
            vector("matmul bias", bias, w.rows());
        }
    }

    static void argmax(Tensor x) {
        f32("argmax", x);
        if (x.numel() == 0 || x.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("argmax: tensor " + x + " must hold 1 … 2^31 − 1 elements");
        }
    }

    static void embed(Tensor out, Tensor table, int[] ids) {
        f32("embed", out);
        shape("embed", out, ids.length, table.cols());
        for (int id : ids) {
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("embed: token id " + id + " is outside table " + table
                        + " (0 … " + (table.rows() - 1) + "); the tokenizer and the model disagree");
            }
        }
    }

    static void rmsNorm(Tensor out, Tensor x, Tensor weight) {
        f32("rmsNorm", out);
        f32("rmsNorm", x);
        shape("rmsNorm", out, x.rows(), x.cols());
        vector("rmsNorm weight", weight, x.cols());
    }

    static void rope(Tensor x, Tensor cos, Tensor sin, int headDim) {
        f32("rope", x);
        f32("rope", cos);
        f32("rope", sin);
        if (headDim <= 0 || headDim % 2 != 0 || x.cols() % headDim != 0) {
            throw new IllegalArgumentException("rope: headDim " + headDim + " must be even and divide the "
                    + x.cols() + " columns of " + x);
        }
        shape("rope cos", cos, x.rows(), headDim);
        shape("rope sin", sin, x.rows(), headDim);
    }

    static void attention(Tensor out, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim,
            int causalOffset) {
        f32("attention", out);
        f32("attention", q);
        f32("attention", k);
        f32("attention", v);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim <= 0) {
            throw new IllegalArgumentException("attention: heads " + heads + " must be a positive multiple of kvHeads "
                    + kvHeads + " and headDim " + headDim + " positive");
        }
        shape("attention q", q, q.rows(), (long) heads * headDim);
        shape("attention out", out, q.rows(), (long) heads * headDim);
        shape("attention k", k, k.rows(), (long) kvHeads * headDim);
        shape("attention v", v, k.rows(), (long) kvHeads * headDim);
        if (causalOffset == Backend.NON_CAUSAL) {
            if (k.rows() == 0 && q.rows() > 0) {
                throw new IllegalArgumentException("attention: no keys given for " + q.rows() + " queries");
            }
        } else if (causalOffset < 0) {
            throw new IllegalArgumentException("attention: causal offset " + causalOffset
                    + " must be ≥ 0 (cached tokens) or Backend.NON_CAUSAL");
        } else if ((long) causalOffset + q.rows() > k.rows()) {
            throw new IllegalArgumentException("attention: causal offset " + causalOffset + " plus " + q.rows()
                    + " queries needs that many keys, but only " + k.rows() + " were given");
        }
    }
}

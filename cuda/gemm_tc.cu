// Matrix product for prefill on tensor cores, pipelined: out[r, j] = xb[r, :] . w[j, :] + bias[j], or
// with accumulate, out[r, j] += xb[r, :] . w[j, :] (the second term of split activations).
// xb is x already rounded to bf16 by convert_bf16 (rows x_stride apart, x_stride a multiple of 8,
// zeros past k); w is [o, k] BF16; out is [n, o] F32; fp32 accumulation.
// A block computes a kRows x kCols tile of out with 8 warps (2 x 4, each (kRows/2) x (kCols/4)),
// stepping k by 64 through a ring of kStages shared tiles that cp.async fills: the copies for the
// next kStages - 1 steps are in flight while this step's tiles feed ldmatrix and mma.m16n8k16.
// A shared row is 64 bf16 = 8 chunks of 16 bytes, chunk c of row r stored at c ^ (r % 8): the 8
// rows one ldmatrix reads, and the 8 chunks of one row's copies, land on distinct banks.
// Weights whose rows are only 8-byte aligned (k % 8 == 4, e.g. the vision MLP's 3420) take the
// kWeightBytes = 8 variant, two 8-byte copies per chunk.
// Grid ceil(n / kRows) * ceil(o / kCols) (1-D), 256 threads, dynamic shared kStages (kRows + kCols) 128 bytes.
#include "mma.cuh"

namespace gemm_tc {
constexpr int kDepth = 64;    // k per step: one 128-byte row of bf16
constexpr int kStages = 3;
constexpr int kThreads = 256;
constexpr int kGroup = 8;     // row tiles per group of the block order
}  // namespace gemm_tc

// Element offset of 16-byte chunk c of row r in a swizzled tile.
__device__ __forceinline__ int swizzled(int r, int c) {
    return r * gemm_tc::kDepth + ((c ^ (r & 7)) << 3);
}

template <int kRows, int kCols, int kWeightBytes>
__device__ __forceinline__ void gemm_tc_load(bf16_t* xs, bf16_t* ws, const bf16_t* __restrict__ x, int x_stride,
                                             const bf16_t* __restrict__ w, int n, int k, int o, int row0, int col0,
                                             int k0) {
    using namespace gemm_tc;
    static_assert((kRows * 8) % kThreads == 0 && (kCols * 8) % kThreads == 0, "whole chunks per thread");
    #pragma unroll
    for (int j = 0; j < kRows * 8 / kThreads; ++j) {
        const int i = threadIdx.x + j * kThreads;
        const int r = i >> 3;
        const int c = i & 7;
        const int gr = row0 + r;
        const int gc = k0 + c * 8;
        const bool valid = gr < n && gc < k;
        cp_async_16(xs + swizzled(r, c), valid ? x + static_cast<size_t>(gr) * x_stride + gc : x, valid);
    }
    if constexpr (kWeightBytes == 16) {
        #pragma unroll
        for (int j = 0; j < kCols * 8 / kThreads; ++j) {
            const int i = threadIdx.x + j * kThreads;
            const int r = i >> 3;
            const int c = i & 7;
            const int gr = col0 + r;
            const int gc = k0 + c * 8;
            const bool valid = gr < o && gc < k;
            cp_async_16(ws + swizzled(r, c), valid ? w + static_cast<size_t>(gr) * k + gc : w, valid);
        }
    } else {
        #pragma unroll
        for (int j = 0; j < kCols * 16 / kThreads; ++j) {
            const int i = threadIdx.x + j * kThreads;
            const int r = i >> 4;
            const int h = i & 15;  // 8-byte half-chunk
            const int gr = col0 + r;
            const int gc = k0 + h * 4;
            const bool valid = gr < o && gc < k;
            cp_async_8(ws + swizzled(r, h >> 1) + (h & 1) * 4, valid ? w + static_cast<size_t>(gr) * k + gc : w,
                       valid);
        }
    }
}

template <int kRows, int kCols, int kWeightBytes>
__device__ __forceinline__ void gemm_tc_tiles(float* out, const bf16_t* __restrict__ x, int x_stride,
                                              const bf16_t* __restrict__ w, const float* __restrict__ bias, int n,
                                              int k, int o, int accumulate) {
    using namespace gemm_tc;
    constexpr int kWarpRows = kRows / 2;
    constexpr int kWarpCols = kCols / 4;
    constexpr int kMi = kWarpRows / 16;  // m16 fragments per warp
    constexpr int kNi = kWarpCols / 8;   // n8 fragments per warp
    static_assert(kMi >= 1 && kNi >= 2 && kNi % 2 == 0, "warp tile of whole ldmatrix.x4 loads");
    GLIMPSE_DYNAMIC_SHARED(bf16_t, shared);
    bf16_t* xs = shared;                                  // [kStages][kRows][64]
    bf16_t* ws = shared + kStages * kRows * kDepth;       // [kStages][kCols][64]
    // Tiles in groups of kGroup row tiles, column by column within a group: the blocks running at
    // once share a few weight tiles and x tiles, so L2 serves most reads (row-major order would
    // stream all of w from memory once per wave).
    const int row_tiles = (n + kRows - 1) / kRows;
    const int col_tiles = (o + kCols - 1) / kCols;
    const int per_group = kGroup * col_tiles;
    const int first_row_tile = static_cast<int>(blockIdx.x) / per_group * kGroup;
    const int group_rows = min(row_tiles - first_row_tile, kGroup);
    const int in_group = static_cast<int>(blockIdx.x) % per_group;
    const int row0 = (first_row_tile + in_group % group_rows) * kRows;
    const int col0 = in_group / group_rows * kCols;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int warp_row = (warp >> 2) * kWarpRows;
    const int warp_col = (warp & 3) * kWarpCols;
    const int matrix = lane >> 3;    // which 8x8 matrix of an ldmatrix.x4 this lane addresses
    const int matrix_row = lane & 7;

    float acc[kMi][kNi][4];
    #pragma unroll
    for (int mi = 0; mi < kMi; ++mi) {
        #pragma unroll
        for (int ni = 0; ni < kNi; ++ni) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                acc[mi][ni][e] = 0.0f;
            }
        }
    }
    const int steps = (k + kDepth - 1) / kDepth;
    #pragma unroll
    for (int s = 0; s < kStages - 1; ++s) {
        if (s < steps) {
            gemm_tc_load<kRows, kCols, kWeightBytes>(xs + s * kRows * kDepth, ws + s * kCols * kDepth, x, x_stride,
                                                     w, n, k, o, row0, col0, s * kDepth);
        }
        cp_async_commit();  // empty groups keep the count that wait relies on
    }
    for (int step = 0; step < steps; ++step) {
        cp_async_wait<kStages - 2>();  // this step's copies (this thread's) have landed
        __syncthreads();               // everyone's have, and everyone is done with the stage refilled below
        const int ahead = step + kStages - 1;
        if (ahead < steps) {
            const int stage = ahead % kStages;
            gemm_tc_load<kRows, kCols, kWeightBytes>(xs + stage * kRows * kDepth, ws + stage * kCols * kDepth, x,
                                                     x_stride, w, n, k, o, row0, col0, ahead * kDepth);
        }
        cp_async_commit();
        const bf16_t* xt = xs + (step % kStages) * kRows * kDepth;
        const bf16_t* wt = ws + (step % kStages) * kCols * kDepth;
        #pragma unroll
        for (int kk = 0; kk < kDepth / 16; ++kk) {
            unsigned a[kMi][4];
            unsigned b[kNi][2];
            #pragma unroll
            for (int mi = 0; mi < kMi; ++mi) {
                // matrices: rows 0-7 / 8-15 (matrix bit 0) x k 0-7 / 8-15 (bit 1) = a[0], a[1], a[2], a[3]
                const int r = warp_row + mi * 16 + matrix_row + 8 * (matrix & 1);
                ldmatrix_x4(a[mi], xt + swizzled(r, 2 * kk + (matrix >> 1)));
            }
            #pragma unroll
            for (int nj = 0; nj < kNi / 2; ++nj) {
                // matrices: k 0-7 / 8-15 (bit 0) x n 0-7 / 8-15 (bit 1) = b[2nj][0], b[2nj][1], b[2nj+1][0], b[2nj+1][1]
                const int r = warp_col + nj * 16 + matrix_row + 8 * (matrix >> 1);
                unsigned t[4];
                ldmatrix_x4(t, wt + swizzled(r, 2 * kk + (matrix & 1)));
                b[2 * nj][0] = t[0];
                b[2 * nj][1] = t[1];
                b[2 * nj + 1][0] = t[2];
                b[2 * nj + 1][1] = t[3];
            }
            #pragma unroll
            for (int mi = 0; mi < kMi; ++mi) {
                #pragma unroll
                for (int ni = 0; ni < kNi; ++ni) {
                    mma_bf16_16816(acc[mi][ni], a[mi], b[ni]);
                }
            }
        }
    }
    cp_async_wait<0>();  // only empty groups remain; leave nothing in flight

    const bool pairs = (o & 1) == 0 && aligned16(out);
    #pragma unroll
    for (int mi = 0; mi < kMi; ++mi) {
        #pragma unroll
        for (int ni = 0; ni < kNi; ++ni) {
            const int c = col0 + warp_col + ni * 8 + 2 * (lane & 3);
            const float b0 = bias != nullptr && c < o ? bias[c] : 0.0f;
            const float b1 = bias != nullptr && c + 1 < o ? bias[c + 1] : 0.0f;
            #pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int r = row0 + warp_row + mi * 16 + (lane >> 2) + 8 * half;
                if (r >= n) {
                    continue;
                }
                float* dst = out + static_cast<size_t>(r) * o + c;
                float v0 = acc[mi][ni][2 * half];
                float v1 = acc[mi][ni][2 * half + 1];
                if (pairs && c + 1 < o) {
                    const float2 base = accumulate ? *reinterpret_cast<const float2*>(dst) : float2{b0, b1};
                    *reinterpret_cast<float2*>(dst) = float2{v0 + base.x, v1 + base.y};
                } else {
                    if (c < o) {
                        dst[0] = v0 + (accumulate ? dst[0] : b0);
                    }
                    if (c + 1 < o) {
                        dst[1] = v1 + (accumulate ? dst[1] : b1);
                    }
                }
            }
        }
    }
}

#define GLIMPSE_GEMM_TC(name, rows, cols, weight_bytes, min_blocks)                                               \
    extern "C" __global__ void __launch_bounds__(gemm_tc::kThreads, min_blocks)                                   \
        name(float* out, const bf16_t* __restrict__ x, int x_stride, const bf16_t* __restrict__ w,                \
             const float* __restrict__ bias, int n, int k, int o, int accumulate) {                               \
        gemm_tc_tiles<rows, cols, weight_bytes>(out, x, x_stride, w, bias, n, k, o, accumulate);                  \
    }

GLIMPSE_GEMM_TC(gemm_tc_128x256, 128, 256, 16, 1)
GLIMPSE_GEMM_TC(gemm_tc_128x128, 128, 128, 16, 2)
GLIMPSE_GEMM_TC(gemm_tc_64x128, 64, 128, 16, 2)
GLIMPSE_GEMM_TC(gemm_tc_128x128_w8, 128, 128, 8, 2)

#undef GLIMPSE_GEMM_TC

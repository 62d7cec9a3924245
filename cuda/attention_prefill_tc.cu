// Flash attention on tensor cores for many query rows (prefill, vision), FlashAttention-2 style: a
// block takes 64 query rows of one head (16 per warp), walks the keys in tiles of 64 staged in shared
// memory as bf16, and keeps an online softmax per row in registers. S = Q Kᵀ and O += P V are
// mma.m16n8k16 (bf16 operands, fp32 accumulation); P goes from S's accumulators straight into A
// fragments, V into B fragments through ldmatrix.trans. Q (scaled), K, V and P are rounded to bf16
// (about 1e-3 relative against F32; attention_prefill stays in F32 throughout).
// Shapes and masking as attention_prefill: q is [n, heads * hd], k and v [m, kv_heads * hd], out like
// q; query row i sees keys 0 .. causal_offset + i, or all m when causal_offset < 0. hd = kHeadDim
// (64, 80 or 128); rows 16-byte aligned.
// Grid (ceil(n / 64), heads), 128 threads, dynamic shared 3 * 64 * (hd + 8) * 2 bytes (a row padded by
// 16 bytes, so the 8 rows one ldmatrix reads fall on distinct banks).
#include "mma.cuh"

namespace prefill_tc {
constexpr int kRows = 64;  // query rows per block, 16 per warp
constexpr int kKeys = 64;  // keys per tile
constexpr int kThreads = 128;
}  // namespace prefill_tc

// rows [first, first + 64) of src (row stride in floats; rows from limit on read as zeros), times
// scale, into tile as bf16 rows of hd + 8.
template <int kHeadDim>
__device__ __forceinline__ void stage_bf16(bf16_t* tile, const float* __restrict__ src, size_t stride, int first,
                                           int limit, float scale) {
    constexpr int kQuads = kHeadDim / 4;
    for (int i = threadIdx.x; i < 64 * kQuads; i += prefill_tc::kThreads) {
        const int r = i / kQuads;
        const int c = (i - r * kQuads) * 4;
        float4 f{0.0f, 0.0f, 0.0f, 0.0f};
        if (first + r < limit) {
            f = *reinterpret_cast<const float4*>(src + static_cast<size_t>(first + r) * stride + c);
        }
        *reinterpret_cast<uint2*>(tile + r * (kHeadDim + 8) + c) =
            uint2{pack_bf16x2(f.x * scale, f.y * scale), pack_bf16x2(f.z * scale, f.w * scale)};
    }
}

template <int kHeadDim>
__device__ __forceinline__ void attention_tc(float* __restrict__ out, const float* __restrict__ q,
                                             const float* __restrict__ k, const float* __restrict__ v, int n, int m,
                                             int heads, int kv_heads, float scale, int causal_offset) {
    using namespace prefill_tc;
    constexpr int kStride = kHeadDim + 8;
    constexpr int kSteps = kHeadDim / 16;  // k-steps of S = Q Kᵀ
    constexpr int kTiles = kHeadDim / 8;   // n8 tiles of O
    static_assert(kHeadDim % 16 == 0 && kHeadDim <= 128, "head_dim a multiple of 16, at most 128");
    GLIMPSE_DYNAMIC_SHARED(bf16_t, shared);
    bf16_t* qs = shared;                 // [64][hd + 8]
    bf16_t* ks = qs + kRows * kStride;   // [64][hd + 8]
    bf16_t* vs = ks + kKeys * kStride;   // [64][hd + 8]
    const int head = blockIdx.y;
    const int row0 = blockIdx.x * kRows;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int group = lane >> 2;
    const int quad = lane & 3;
    const int matrix = lane >> 3;  // which 8x8 matrix of an ldmatrix.x4 this lane addresses
    const int matrix_row = lane & 7;
    const int kv_head = head / (heads / kv_heads);
    const size_t q_stride = static_cast<size_t>(heads) * kHeadDim;
    const size_t kv_stride = static_cast<size_t>(kv_heads) * kHeadDim;
    const int last_row = min(row0 + kRows, n) - 1;
    const int keys = causal_offset < 0 ? m : min(m, causal_offset + last_row + 1);
    const int rows[2] = {row0 + warp * 16 + group, row0 + warp * 16 + group + 8};  // of this thread's fragments

    stage_bf16<kHeadDim>(qs, q + head * kHeadDim, q_stride, row0, n, scale);
    __syncthreads();
    unsigned qf[kSteps][4];
    #pragma unroll
    for (int s = 0; s < kSteps; ++s) {
        ldmatrix_x4(qf[s], qs + (warp * 16 + matrix_row + 8 * (matrix & 1)) * kStride + s * 16 + 8 * (matrix >> 1));
    }
    float o[kTiles][4];
    #pragma unroll
    for (int t = 0; t < kTiles; ++t) {
        #pragma unroll
        for (int e = 0; e < 4; ++e) {
            o[t][e] = 0.0f;
        }
    }
    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.0f, 0.0f};  // this thread's share; the quad's shares are added at the end

    for (int key0 = 0; key0 < keys; key0 += kKeys) {
        __syncthreads();  // every warp is done with the previous K and V tiles
        stage_bf16<kHeadDim>(ks, k + kv_head * kHeadDim, kv_stride, key0, keys, 1.0f);
        stage_bf16<kHeadDim>(vs, v + kv_head * kHeadDim, kv_stride, key0, keys, 1.0f);
        __syncthreads();

        float s[8][4];  // 16 rows x 64 keys: n8 tile j holds keys 8j .. 8j + 7
        #pragma unroll
        for (int j = 0; j < 8; ++j) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                s[j][e] = 0.0f;
            }
        }
        #pragma unroll
        for (int step = 0; step < kSteps; ++step) {
            #pragma unroll
            for (int pair = 0; pair < 4; ++pair) {
                // matrices: d 0-7 / 8-15 (bit 0) x keys 0-7 / 8-15 (bit 1) of keys 16 pair ..
                unsigned t[4];
                ldmatrix_x4(t, ks + (pair * 16 + matrix_row + 8 * (matrix >> 1)) * kStride + step * 16 +
                                   8 * (matrix & 1));
                const unsigned b0[2] = {t[0], t[1]};
                const unsigned b1[2] = {t[2], t[3]};
                mma_bf16_16816(s[2 * pair], qf[step], b0);
                mma_bf16_16816(s[2 * pair + 1], qf[step], b1);
            }
        }

        float tile_max[2] = {-INFINITY, -INFINITY};
        #pragma unroll
        for (int j = 0; j < 8; ++j) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int key = key0 + 8 * j + 2 * quad + (e & 1);
                const bool visible = key < keys && (causal_offset < 0 || key <= causal_offset + rows[e >> 1]);
                s[j][e] = visible ? s[j][e] : -INFINITY;
                tile_max[e >> 1] = fmaxf(tile_max[e >> 1], s[j][e]);
            }
        }
        float rescale[2];
        #pragma unroll
        for (int h = 0; h < 2; ++h) {
            tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(kFullWarp, tile_max[h], 1));
            tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(kFullWarp, tile_max[h], 2));
            const float new_max = fmaxf(row_max[h], tile_max[h]);
            // A row with nothing visible yet keeps max -inf: no rescale, and its p below are 0.
            rescale[h] = new_max == -INFINITY ? 1.0f : expf(row_max[h] - new_max);
            row_max[h] = new_max;
            row_sum[h] *= rescale[h];
        }
        #pragma unroll
        for (int j = 0; j < 8; ++j) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                const float mx = row_max[e >> 1];
                s[j][e] = mx == -INFINITY ? 0.0f : expf(s[j][e] - mx);
                row_sum[e >> 1] += s[j][e];
            }
        }
        #pragma unroll
        for (int t = 0; t < kTiles; ++t) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                o[t][e] *= rescale[e >> 1];
            }
        }
        #pragma unroll
        for (int kk = 0; kk < 4; ++kk) {
            // P's accumulators for keys 16 kk .. 16 kk + 15 are exactly an m16n8k16 A fragment.
            const unsigned a[4] = {pack_bf16x2(s[2 * kk][0], s[2 * kk][1]), pack_bf16x2(s[2 * kk][2], s[2 * kk][3]),
                                   pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                   pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3])};
            #pragma unroll
            for (int pair = 0; pair < kTiles / 2; ++pair) {
                // matrices: keys 0-7 / 8-15 (bit 0) x d 0-7 / 8-15 (bit 1), transposed into B fragments
                unsigned t[4];
                ldmatrix_x4_trans(t, vs + (kk * 16 + matrix_row + 8 * (matrix & 1)) * kStride + pair * 16 +
                                         8 * (matrix >> 1));
                const unsigned b0[2] = {t[0], t[1]};
                const unsigned b1[2] = {t[2], t[3]};
                mma_bf16_16816(o[2 * pair], a, b0);
                mma_bf16_16816(o[2 * pair + 1], a, b1);
            }
        }
    }

    #pragma unroll
    for (int h = 0; h < 2; ++h) {
        row_sum[h] += __shfl_xor_sync(kFullWarp, row_sum[h], 1);
        row_sum[h] += __shfl_xor_sync(kFullWarp, row_sum[h], 2);
    }
    #pragma unroll
    for (int h = 0; h < 2; ++h) {
        if (rows[h] < n) {
            const float inverse = 1.0f / row_sum[h];
            float* dst = out + static_cast<size_t>(rows[h]) * q_stride + head * kHeadDim + 2 * quad;
            #pragma unroll
            for (int t = 0; t < kTiles; ++t) {
                *reinterpret_cast<float2*>(dst + 8 * t) = float2{o[t][2 * h] * inverse, o[t][2 * h + 1] * inverse};
            }
        }
    }
}

#define GLIMPSE_ATTENTION_TC(head_dim)                                                                        \
    extern "C" __global__ void __launch_bounds__(prefill_tc::kThreads)                                        \
        attention_prefill_tc_##head_dim(float* __restrict__ out, const float* __restrict__ q,                  \
                                        const float* __restrict__ k, const float* __restrict__ v, int n, int m, \
                                        int heads, int kv_heads, float scale, int causal_offset) {              \
        attention_tc<head_dim>(out, q, k, v, n, m, heads, kv_heads, scale, causal_offset);                     \
    }

GLIMPSE_ATTENTION_TC(64)
GLIMPSE_ATTENTION_TC(80)
GLIMPSE_ATTENTION_TC(128)

#undef GLIMPSE_ATTENTION_TC

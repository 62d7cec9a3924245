// Flash-style attention for many query rows (prefill, vision): a block takes 16 query rows of one
// head, walks the keys in tiles of 32 staged in shared memory, and keeps an online softmax per row.
// Inside a tile a lane owns one key for the scores and a slice of head_dim (d = lane + 32 j) for
// the output. q is [n, heads * head_dim]; k, v are [m, kv_heads * head_dim]; out like q.
// Query row i sees keys 0 .. causal_offset + i, or all m when causal_offset < 0. head_dim <= 128.
// Grid (ceil(n / 16), heads), 128 threads, shared (16 hd + 32 (hd + 1) + 32 hd) floats.
#include "common.cuh"

namespace prefill_tile {
constexpr int kRowsPerBlock = 16;
constexpr int kWarps = 4;
constexpr int kRowsPerWarp = kRowsPerBlock / kWarps;
constexpr int kKeysPerTile = 32;
constexpr int kMaxDimsPerLane = 4;
}  // namespace prefill_tile

extern "C" __global__ void __launch_bounds__(128)
    attention_prefill(float* __restrict__ out, const float* __restrict__ q, const float* __restrict__ k,
                      const float* __restrict__ v, int n, int m, int heads, int kv_heads, int head_dim, float scale,
                      int causal_offset) {
    using namespace prefill_tile;
    GLIMPSE_DYNAMIC_SHARED(float, shared);
    float* qs = shared;                                    // [16][hd], pre-scaled
    float* ks = qs + kRowsPerBlock * head_dim;             // [32][hd + 1]
    float* vs = ks + kKeysPerTile * (head_dim + 1);        // [32][hd]
    const int head = blockIdx.y;
    const int row0 = blockIdx.x * kRowsPerBlock;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int kv_head = head / (heads / kv_heads);
    const size_t q_stride = static_cast<size_t>(heads) * head_dim;
    const size_t kv_stride = static_cast<size_t>(kv_heads) * head_dim;
    const int last_row = min(row0 + kRowsPerBlock, n) - 1;
    const int keys = causal_offset < 0 ? m : min(m, causal_offset + last_row + 1);

    for (int i = threadIdx.x; i < kRowsPerBlock * head_dim; i += blockDim.x) {
        const int r = i / head_dim;
        const int d = i - r * head_dim;
        qs[i] = row0 + r < n ? q[(row0 + r) * q_stride + head * head_dim + d] * scale : 0.0f;
    }
    float row_max[kRowsPerWarp];
    float row_sum[kRowsPerWarp];
    float acc[kRowsPerWarp][kMaxDimsPerLane];
    #pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
        row_max[r] = -INFINITY;
        row_sum[r] = 0.0f;
        #pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
            acc[r][j] = 0.0f;
        }
    }

    for (int key0 = 0; key0 < keys; key0 += kKeysPerTile) {
        __syncthreads();  // the previous tile is consumed (and qs is written, on the first pass)
        for (int i = threadIdx.x; i < kKeysPerTile * head_dim; i += blockDim.x) {
            const int t = i / head_dim;
            const int d = i - t * head_dim;
            const bool present = key0 + t < keys;
            const size_t at = (key0 + t) * kv_stride + kv_head * head_dim + d;
            ks[t * (head_dim + 1) + d] = present ? k[at] : 0.0f;
            vs[t * head_dim + d] = present ? v[at] : 0.0f;
        }
        __syncthreads();
        const int key = key0 + lane;
        #pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
            const int local = warp * kRowsPerWarp + r;
            const int row = row0 + local;
            if (row >= n) {
                continue;  // warp-uniform
            }
            const bool visible = key < keys && (causal_offset < 0 || key <= causal_offset + row);
            float score = 0.0f;
            const float* qrow = qs + local * head_dim;
            const float* krow = ks + lane * (head_dim + 1);
            for (int d = 0; d < head_dim; ++d) {
                score += qrow[d] * krow[d];
            }
            score = visible ? score : -INFINITY;
            const float new_max = fmaxf(row_max[r], warp_max(score));  // finite: key 0 is always visible
            const float p = visible ? expf(score - new_max) : 0.0f;
            const float rescale = expf(row_max[r] - new_max);
            row_sum[r] = row_sum[r] * rescale + warp_sum(p);
            row_max[r] = new_max;
            #pragma unroll
            for (int j = 0; j < kMaxDimsPerLane; ++j) {
                acc[r][j] *= rescale;
            }
            #pragma unroll
            for (int t = 0; t < kKeysPerTile; ++t) {
                const float pt = __shfl_sync(kFullWarp, p, t);
                #pragma unroll
                for (int j = 0; j < kMaxDimsPerLane; ++j) {
                    const int d = lane + 32 * j;
                    if (d < head_dim) {
                        acc[r][j] += pt * vs[t * head_dim + d];
                    }
                }
            }
        }
    }
    #pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
        const int row = row0 + warp * kRowsPerWarp + r;
        if (row < n) {
            const float inverse = 1.0f / row_sum[r];
            #pragma unroll
            for (int j = 0; j < kMaxDimsPerLane; ++j) {
                const int d = lane + 32 * j;
                if (d < head_dim) {
                    out[row * q_stride + head * head_dim + d] = acc[r][j] * inverse;
                }
            }
        }
    }
}

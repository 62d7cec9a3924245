// Attention of a few query rows over a long KV cache (decode), split over the keys:
// attention_decode_split gives each (KV head, split, query row) block a chunk of keys and writes, for
// every query head sharing that KV head, the chunk's softmax state (max, sum, unnormalised output);
// attention_decode_combine merges the chunks. q is [n, heads * head_dim]; k and v are
// [m, kv_heads * head_dim]. Query row i sees keys 0 .. causal_offset + i, or all m when
// causal_offset < 0. head_dim <= 128.
// Split grid (kv_heads * ceil(group / 8), splits, n), 128 threads: a block serves up to 8 query heads
// of one KV head (group = heads / kv_heads), so each key and value row is read once for all of them.
// Its warps take tiles of 32 keys; in a tile a lane owns one key for the scores (its K row read with
// 16-byte loads), then the lanes split head_dim (d = lane + 32 j) to accumulate the V rows.
// Combine grid (heads, n), 128 threads.
#include "common.cuh"

namespace decode_split {
constexpr int kWarps = 4;
constexpr int kMaxGroup = 8;        // query heads per block
constexpr int kMaxDimsPerLane = 4;  // head_dim <= 128
}  // namespace decode_split

extern "C" __global__ void __launch_bounds__(128, 4)
    attention_decode_split(float* __restrict__ partial_out, float* __restrict__ partial_max,
                           float* __restrict__ partial_sum, const float* __restrict__ q, const float* __restrict__ k,
                           const float* __restrict__ v, int m, int heads, int kv_heads, int head_dim,
                           float scale, int causal_offset, int chunk) {
    using namespace decode_split;
    __shared__ __align__(16) float qs[kMaxGroup][128];
    __shared__ float probabilities[kWarps][kMaxGroup][32];
    __shared__ float warp_max_s[kWarps][kMaxGroup];
    __shared__ float warp_sum_s[kWarps][kMaxGroup];
    __shared__ float warp_out[kWarps][kMaxGroup][32 * kMaxDimsPerLane];
    const int group = heads / kv_heads;
    const int head_groups = (group + kMaxGroup - 1) / kMaxGroup;
    const int kv_head = blockIdx.x / head_groups;
    const int first_head = kv_head * group + (blockIdx.x % head_groups) * kMaxGroup;
    const int block_heads = min(kMaxGroup, kv_head * group + group - first_head);
    const int split = blockIdx.y;
    const int splits = gridDim.y;
    const int row = blockIdx.z;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const size_t kv_stride = static_cast<size_t>(kv_heads) * head_dim;
    const int visible = causal_offset < 0 ? m : min(m, causal_offset + row + 1);
    const int begin = split * chunk;
    const int end = min(begin + chunk, visible);
    const float* krows = k + kv_head * head_dim;
    const float* vrows = v + kv_head * head_dim;
    const bool vector = (head_dim & 3) == 0 && aligned16(k) && aligned16(v) && (kv_stride & 3) == 0;

    for (int i = threadIdx.x; i < kMaxGroup * head_dim; i += blockDim.x) {
        const int h = i / head_dim;
        const int d = i - h * head_dim;
        qs[h][d] = h < block_heads ? q[(static_cast<size_t>(row) * heads + first_head + h) * head_dim + d] * scale
                                   : 0.0f;
    }
    __syncthreads();

    float running_max[kMaxGroup];
    float running_sum[kMaxGroup];
    float acc[kMaxGroup][kMaxDimsPerLane];
    #pragma unroll
    for (int h = 0; h < kMaxGroup; ++h) {
        running_max[h] = -INFINITY;
        running_sum[h] = 0.0f;
        #pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
            acc[h][j] = 0.0f;
        }
    }
    for (int tile = begin + warp * 32; tile < end; tile += kWarps * 32) {
        const int key = tile + lane;
        const bool valid = key < end;
        const float* krow = krows + static_cast<size_t>(valid ? key : tile) * kv_stride;
        float score[kMaxGroup];
        #pragma unroll
        for (int h = 0; h < kMaxGroup; ++h) {
            score[h] = 0.0f;
        }
        if (vector) {
            #pragma unroll 4
            for (int d = 0; d < head_dim; d += 4) {
                const float4 kv = *reinterpret_cast<const float4*>(krow + d);
                #pragma unroll
                for (int h = 0; h < kMaxGroup; ++h) {
                    const float4 qv = *reinterpret_cast<const float4*>(&qs[h][d]);
                    score[h] += qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
                }
            }
        } else {
            for (int d = 0; d < head_dim; ++d) {
                const float kd = krow[d];
                #pragma unroll
                for (int h = 0; h < kMaxGroup; ++h) {
                    score[h] += qs[h][d] * kd;
                }
            }
        }
        #pragma unroll
        for (int h = 0; h < kMaxGroup; ++h) {
            const float s = valid ? score[h] : -INFINITY;
            const float new_max = fmaxf(running_max[h], warp_max(s));  // finite: the tile's first key is valid
            const float p = valid ? expf(s - new_max) : 0.0f;
            const float rescale = expf(running_max[h] - new_max);      // 0 on the first tile
            running_sum[h] = running_sum[h] * rescale + warp_sum(p);
            running_max[h] = new_max;
            #pragma unroll
            for (int j = 0; j < kMaxDimsPerLane; ++j) {
                acc[h][j] *= rescale;
            }
            probabilities[warp][h][lane] = p;
        }
        __syncwarp();
        const int keys = min(32, end - tile);
        for (int t = 0; t < keys; ++t) {
            const float* vrow = vrows + static_cast<size_t>(tile + t) * kv_stride;
            float vd[kMaxDimsPerLane];
            #pragma unroll
            for (int j = 0; j < kMaxDimsPerLane; ++j) {
                const int d = lane + 32 * j;
                vd[j] = d < head_dim ? vrow[d] : 0.0f;
            }
            #pragma unroll
            for (int h = 0; h < kMaxGroup; ++h) {
                const float pt = probabilities[warp][h][t];
                #pragma unroll
                for (int j = 0; j < kMaxDimsPerLane; ++j) {
                    acc[h][j] += pt * vd[j];
                }
            }
        }
        __syncwarp();  // probabilities are rewritten by the next tile
    }
    #pragma unroll
    for (int h = 0; h < kMaxGroup; ++h) {
        if (lane == 0) {
            warp_max_s[warp][h] = running_max[h];
            warp_sum_s[warp][h] = running_sum[h];
        }
        #pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
            warp_out[warp][h][lane + 32 * j] = acc[h][j];
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < block_heads * head_dim; i += blockDim.x) {
        const int h = i / head_dim;
        const int d = i - h * head_dim;
        float block_max_v = -INFINITY;
        #pragma unroll
        for (int w = 0; w < kWarps; ++w) {
            block_max_v = fmaxf(block_max_v, warp_max_s[w][h]);
        }
        float total = 0.0f;
        float sum = 0.0f;
        #pragma unroll
        for (int w = 0; w < kWarps; ++w) {
            if (warp_sum_s[w][h] > 0.0f) {
                const float weight = expf(warp_max_s[w][h] - block_max_v);
                total += warp_out[w][h][d] * weight;
                sum += warp_sum_s[w][h] * weight;
            }
        }
        const size_t slot = (static_cast<size_t>(row) * heads + first_head + h) * splits + split;
        partial_out[slot * head_dim + d] = total;
        if (d == 0) {
            partial_max[slot] = block_max_v;
            partial_sum[slot] = sum;
        }
    }
}

extern "C" __global__ void __launch_bounds__(128)
    attention_decode_combine(float* __restrict__ out, const float* __restrict__ partial_out,
                             const float* __restrict__ partial_max, const float* __restrict__ partial_sum, int heads,
                             int head_dim, int splits) {
    const int head = blockIdx.x;
    const int row = blockIdx.y;
    const size_t first = (static_cast<size_t>(row) * heads + head) * splits;
    float largest = -INFINITY;
    for (int s = 0; s < splits; ++s) {
        if (partial_sum[first + s] > 0.0f) {
            largest = fmaxf(largest, partial_max[first + s]);
        }
    }
    float total = 0.0f;
    for (int s = 0; s < splits; ++s) {
        if (partial_sum[first + s] > 0.0f) {
            total += partial_sum[first + s] * expf(partial_max[first + s] - largest);
        }
    }
    const float inverse = total > 0.0f ? 1.0f / total : 0.0f;
    float* dst = out + (static_cast<size_t>(row) * heads + head) * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float value = 0.0f;
        for (int s = 0; s < splits; ++s) {
            if (partial_sum[first + s] > 0.0f) {
                value += partial_out[(first + s) * head_dim + d] * expf(partial_max[first + s] - largest);
            }
        }
        dst[d] = value * inverse;
    }
}

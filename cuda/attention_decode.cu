// Attention of a few query rows over a long KV cache (decode), split over the keys:
// attention_decode_split gives each (head, split, query row) block a chunk of keys and writes the
// chunk's softmax state (max, sum, unnormalised output); attention_decode_combine merges the chunks.
// q is [n, heads * head_dim]; k and v are [m, kv_heads * head_dim]. Query row i sees keys
// 0 .. causal_offset + i, or all m when causal_offset < 0. head_dim <= 128.
// Split grid (heads, splits, n), 128 threads: each warp takes every 4th key of the chunk, its lanes
// split head_dim (d = lane + 32 j). Combine grid (heads, n), 128 threads.
#include "common.cuh"

namespace decode_split {
constexpr int kWarps = 4;
constexpr int kMaxDimsPerLane = 4;  // head_dim <= 128
}  // namespace decode_split

extern "C" __global__ void __launch_bounds__(128)
    attention_decode_split(float* __restrict__ partial_out, float* __restrict__ partial_max,
                           float* __restrict__ partial_sum, const float* __restrict__ q, const float* __restrict__ k,
                           const float* __restrict__ v, int m, int heads, int kv_heads, int head_dim,
                           float scale, int causal_offset, int chunk) {
    using namespace decode_split;
    __shared__ float warp_max_s[kWarps];
    __shared__ float warp_sum_s[kWarps];
    __shared__ float warp_out[kWarps][32 * kMaxDimsPerLane];
    const int head = blockIdx.x;
    const int split = blockIdx.y;
    const int splits = gridDim.y;
    const int row = blockIdx.z;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int kv_head = head / (heads / kv_heads);
    const size_t kv_stride = static_cast<size_t>(kv_heads) * head_dim;
    const int visible = causal_offset < 0 ? m : min(m, causal_offset + row + 1);
    const int begin = split * chunk;
    const int end = min(begin + chunk, visible);

    float qr[kMaxDimsPerLane];
    float acc[kMaxDimsPerLane];
    const float* qrow = q + (static_cast<size_t>(row) * heads + head) * head_dim;
    #pragma unroll
    for (int j = 0; j < kMaxDimsPerLane; ++j) {
        const int d = lane + 32 * j;
        qr[j] = d < head_dim ? qrow[d] * scale : 0.0f;
        acc[j] = 0.0f;
    }
    float running_max = -INFINITY;
    float running_sum = 0.0f;
    for (int key = begin + warp; key < end; key += kWarps) {
        const float* krow = k + key * kv_stride + kv_head * head_dim;
        const float* vrow = v + key * kv_stride + kv_head * head_dim;
        float partial = 0.0f;
        #pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
            const int d = lane + 32 * j;
            partial += d < head_dim ? qr[j] * krow[d] : 0.0f;
        }
        const float score = warp_sum(partial);
        const float new_max = fmaxf(running_max, score);
        const float rescale = expf(running_max - new_max);  // 0 on the first key
        const float p = expf(score - new_max);
        running_sum = running_sum * rescale + p;
        #pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
            const int d = lane + 32 * j;
            acc[j] = acc[j] * rescale + (d < head_dim ? p * vrow[d] : 0.0f);
        }
        running_max = new_max;
    }
    if (lane == 0) {
        warp_max_s[warp] = running_max;
        warp_sum_s[warp] = running_sum;
    }
    #pragma unroll
    for (int j = 0; j < kMaxDimsPerLane; ++j) {
        warp_out[warp][lane + 32 * j] = acc[j];
    }
    __syncthreads();
    float block_max_v = -INFINITY;
    #pragma unroll
    for (int w = 0; w < kWarps; ++w) {
        block_max_v = fmaxf(block_max_v, warp_max_s[w]);
    }
    const size_t slot = (static_cast<size_t>(row) * heads + head) * splits + split;
    float* dst = partial_out + slot * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float total = 0.0f;
        #pragma unroll
        for (int w = 0; w < kWarps; ++w) {
            if (warp_sum_s[w] > 0.0f) {
                total += warp_out[w][d] * expf(warp_max_s[w] - block_max_v);
            }
        }
        dst[d] = total;
    }
    if (threadIdx.x == 0) {
        float total = 0.0f;
        #pragma unroll
        for (int w = 0; w < kWarps; ++w) {
            if (warp_sum_s[w] > 0.0f) {
                total += warp_sum_s[w] * expf(warp_max_s[w] - block_max_v);
            }
        }
        partial_max[slot] = block_max_v;
        partial_sum[slot] = total;
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

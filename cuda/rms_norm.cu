// RMSNorm per row: out = x * rsqrt(mean(x^2) + eps) * weight. One block per row.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) rms_norm(float* __restrict__ out, const float* __restrict__ x,
                                                           const float* __restrict__ weight, int cols, float eps) {
    __shared__ float scratch[32];
    const float* row = x + static_cast<size_t>(blockIdx.x) * cols;
    float* dst = out + static_cast<size_t>(blockIdx.x) * cols;
    float squares = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        squares += row[c] * row[c];
    }
    const float scale = rsqrtf(block_sum(squares, scratch) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        dst[c] = row[c] * scale * weight[c];
    }
}

// Softmax over each row, in place. One block per row: max, sum of exponentials, then scale.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) softmax(float* __restrict__ x, int cols) {
    __shared__ float scratch[32];
    float* row = x + static_cast<size_t>(blockIdx.x) * cols;
    float largest = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        largest = fmaxf(largest, row[c]);
    }
    largest = block_max(largest, scratch);
    float total = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        total += expf(row[c] - largest);
    }
    const float inverse = 1.0f / block_sum(total, scratch);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        row[c] = expf(row[c] - largest) * inverse;
    }
}

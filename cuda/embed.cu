// Embedding gather: out[i, :] = table[ids[i], :] widened to F32. Grid (tokens, column blocks).
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) embed_f32(float* __restrict__ out, const float* __restrict__ table,
                                                            const int* __restrict__ ids, int cols) {
    const int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c < cols) {
        out[static_cast<size_t>(blockIdx.x) * cols + c] = table[static_cast<size_t>(ids[blockIdx.x]) * cols + c];
    }
}

extern "C" __global__ void __launch_bounds__(256) embed_bf16(float* __restrict__ out, const bf16_t* __restrict__ table,
                                                             const int* __restrict__ ids, int cols) {
    const int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c < cols) {
        out[static_cast<size_t>(blockIdx.x) * cols + c] =
            bf16_to_float(table[static_cast<size_t>(ids[blockIdx.x]) * cols + c]);
    }
}

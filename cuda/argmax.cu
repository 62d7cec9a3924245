// Index of the largest value of each row (the lowest index on ties). One block per row.
#include "common.cuh"

struct Best {
    float value;
    int index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
    return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

__device__ __forceinline__ Best warp_best(Best v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        Best other{__shfl_xor_sync(kFullWarp, v.value, offset), __shfl_xor_sync(kFullWarp, v.index, offset)};
        v = better(v, other);
    }
    return v;
}

extern "C" __global__ void __launch_bounds__(1024) argmax(int* __restrict__ out, const float* __restrict__ x, int cols) {
    __shared__ float values[32];
    __shared__ int indices[32];
    const float* row = x + static_cast<size_t>(blockIdx.x) * cols;
    Best best{-INFINITY, 0x7fffffff};
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        best = better(best, Best{row[c], c});
    }
    best = warp_best(best);
    const int lane = threadIdx.x & 31;
    if (lane == 0) {
        values[threadIdx.x >> 5] = best.value;
        indices[threadIdx.x >> 5] = best.index;
    }
    __syncthreads();
    if (threadIdx.x < 32) {
        const bool present = lane < static_cast<int>(blockDim.x >> 5);
        best = warp_best(Best{present ? values[lane] : -INFINITY, present ? indices[lane] : 0x7fffffff});
        if (lane == 0) {
            out[blockIdx.x] = best.index == 0x7fffffff ? 0 : best.index;
        }
    }
}

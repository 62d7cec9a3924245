// out = silu(gate) * up, silu(g) = g / (1 + e^-g). One thread per element.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) swiglu(float* __restrict__ out, const float* __restrict__ gate,
                                                         const float* __restrict__ up, long long count) {
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

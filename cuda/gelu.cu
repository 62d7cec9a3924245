// x = gelu(x) in place, exact erf form x * (1 + erf(x / sqrt 2)) / 2. One thread per element.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) gelu(float* __restrict__ x, long long count) {
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

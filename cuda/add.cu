// x += y, element-wise over count floats. One thread per element.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) add(float* __restrict__ x, const float* __restrict__ y, long long count) {
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) {
        x[i] += y[i];
    }
}

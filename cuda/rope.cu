// Rotary embedding in place, rotate_half form. x is [rows, heads * head_dim]; cos and sin are
// [rows, head_dim]. One thread per (row, head, pair d / d + head_dim/2).
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) rope(float* __restrict__ x, const float* __restrict__ cos,
                                                       const float* __restrict__ sin, int rows, int heads,
                                                       int head_dim) {
    const int half = head_dim / 2;
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= static_cast<long long>(rows) * heads * half) {
        return;
    }
    const int d = static_cast<int>(i % half);
    const long long pair = i / half;
    const int head = static_cast<int>(pair % heads);
    const long long row = pair / heads;
    float* v = x + (row * heads + head) * head_dim;
    const float* c = cos + row * head_dim;
    const float* s = sin + row * head_dim;
    const float a = v[d];
    const float b = v[d + half];
    v[d] = a * c[d] - b * s[d];
    v[d + half] = b * c[d + half] + a * s[d + half];
}

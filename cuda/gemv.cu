// Matrix-vector product for decode: out[r, j] = x[r, :] . w[j, :] + bias[j], w is [o, k].
// Memory-bound: one warp per output j reads its weight row once with 16-byte loads, two loads in
// flight per lane. Grid (ceil(o / 8), rows of x), 256 threads (8 warps).
#include "common.cuh"

__device__ __forceinline__ float dot8(uint4 w, float4 a, float4 b) {
    return bf16_to_float(static_cast<bf16_t>(w.x & 0xffffu)) * a.x + bf16_to_float(static_cast<bf16_t>(w.x >> 16)) * a.y +
           bf16_to_float(static_cast<bf16_t>(w.y & 0xffffu)) * a.z + bf16_to_float(static_cast<bf16_t>(w.y >> 16)) * a.w +
           bf16_to_float(static_cast<bf16_t>(w.z & 0xffffu)) * b.x + bf16_to_float(static_cast<bf16_t>(w.z >> 16)) * b.y +
           bf16_to_float(static_cast<bf16_t>(w.w & 0xffffu)) * b.z + bf16_to_float(static_cast<bf16_t>(w.w >> 16)) * b.w;
}

__device__ __forceinline__ float dot4(float4 w, float4 a) { return w.x * a.x + w.y * a.y + w.z * a.z + w.w * a.w; }

extern "C" __global__ void __launch_bounds__(256) gemv_bf16(float* __restrict__ out, const float* __restrict__ x,
                                                            const bf16_t* __restrict__ w,
                                                            const float* __restrict__ bias, int k, int o) {
    const int lane = threadIdx.x & 31;
    const int j = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (j >= o) {
        return;  // the whole warp leaves together; no block barrier follows
    }
    const float* xr = x + static_cast<size_t>(blockIdx.y) * k;
    const bf16_t* wr = w + static_cast<size_t>(j) * k;
    float acc = 0.0f;
    if ((k & 7) == 0 && aligned16(xr) && aligned16(wr)) {
        const uint4* w8 = reinterpret_cast<const uint4*>(wr);
        const float4* x4 = reinterpret_cast<const float4*>(xr);
        const int chunks = k >> 3;
        int i = lane;
        for (; i + 32 < chunks; i += 64) {
            const uint4 w0 = w8[i];
            const uint4 w1 = w8[i + 32];
            acc += dot8(w0, x4[2 * i], x4[2 * i + 1]);
            acc += dot8(w1, x4[2 * i + 64], x4[2 * i + 65]);
        }
        if (i < chunks) {
            acc += dot8(w8[i], x4[2 * i], x4[2 * i + 1]);
        }
    } else {
        for (int i = lane; i < k; i += 32) {
            acc += bf16_to_float(wr[i]) * xr[i];
        }
    }
    acc = warp_sum(acc);
    if (lane == 0) {
        out[static_cast<size_t>(blockIdx.y) * o + j] = acc + (bias != nullptr ? bias[j] : 0.0f);
    }
}

extern "C" __global__ void __launch_bounds__(256) gemv_f32(float* __restrict__ out, const float* __restrict__ x,
                                                           const float* __restrict__ w,
                                                           const float* __restrict__ bias, int k, int o) {
    const int lane = threadIdx.x & 31;
    const int j = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (j >= o) {
        return;
    }
    const float* xr = x + static_cast<size_t>(blockIdx.y) * k;
    const float* wr = w + static_cast<size_t>(j) * k;
    float acc = 0.0f;
    if ((k & 3) == 0 && aligned16(xr) && aligned16(wr)) {
        const float4* w4 = reinterpret_cast<const float4*>(wr);
        const float4* x4 = reinterpret_cast<const float4*>(xr);
        const int chunks = k >> 2;
        int i = lane;
        for (; i + 32 < chunks; i += 64) {
            const float4 w0 = w4[i];
            const float4 w1 = w4[i + 32];
            acc += dot4(w0, x4[i]);
            acc += dot4(w1, x4[i + 32]);
        }
        if (i < chunks) {
            acc += dot4(w4[i], x4[i]);
        }
    } else {
        for (int i = lane; i < k; i += 32) {
            acc += wr[i] * xr[i];
        }
    }
    acc = warp_sum(acc);
    if (lane == 0) {
        out[static_cast<size_t>(blockIdx.y) * o + j] = acc + (bias != nullptr ? bias[j] : 0.0f);
    }
}

// Matrix-vector product for decode: out[r, j] = x[r, :] . w[j, :] + bias[j], w is [o, k].
// Memory-bound: each weight row is read once with 16-byte loads. F32 weights: one warp per output,
// two loads in flight per lane, grid (ceil(o / 8), rows of x), 256 threads (8 warps).
#include "common.cuh"

__device__ __forceinline__ float dot8(uint4 w, float4 a, float4 b) {
    return bf16_to_float(static_cast<bf16_t>(w.x & 0xffffu)) * a.x + bf16_to_float(static_cast<bf16_t>(w.x >> 16)) * a.y +
           bf16_to_float(static_cast<bf16_t>(w.y & 0xffffu)) * a.z + bf16_to_float(static_cast<bf16_t>(w.y >> 16)) * a.w +
           bf16_to_float(static_cast<bf16_t>(w.z & 0xffffu)) * b.x + bf16_to_float(static_cast<bf16_t>(w.z >> 16)) * b.y +
           bf16_to_float(static_cast<bf16_t>(w.w & 0xffffu)) * b.z + bf16_to_float(static_cast<bf16_t>(w.w >> 16)) * b.w;
}

__device__ __forceinline__ float dot4(float4 w, float4 a) { return w.x * a.x + w.y * a.y + w.z * a.z + w.w * a.w; }

// BF16 weights: a block of 8 warps takes kRows outputs, 8 / kRows warps per output splitting its
// row (warp w of a row reads 512-byte pieces w, w + 8 / kRows, ...); each lane keeps kUnroll
// 16-byte weight loads in flight. Fewer rows per block means more, shorter blocks: the SMs stay
// evenly loaded when o is small, and the row is streamed by more loads at once.
// Grid (ceil(o / kRows), rows of x), 256 threads.
template <int kRows, int kUnroll>
__device__ __forceinline__ void gemv_bf16_rows(float* __restrict__ out, const float* __restrict__ x,
                                               const bf16_t* __restrict__ w, const float* __restrict__ bias, int k,
                                               int o) {
    constexpr int kWarpsPerRow = 8 / kRows;
    __shared__ float partial[8];
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int local = warp / kWarpsPerRow;  // this warp's output within the block
    const int part = warp % kWarpsPerRow;   // and its share of the row
    const int j = blockIdx.x * kRows + local;
    const float* xr = x + static_cast<size_t>(blockIdx.y) * k;
    float acc = 0.0f;
    if (j < o) {  // warp-uniform; every thread still reaches the barrier below
        const bf16_t* wr = w + static_cast<size_t>(j) * k;
        if ((k & 7) == 0 && aligned16(xr) && aligned16(wr)) {
            const uint4* w8 = reinterpret_cast<const uint4*>(wr);
            const float4* x4 = reinterpret_cast<const float4*>(xr);
            const int chunks = k >> 3;
            constexpr int kStride = 32 * kWarpsPerRow;
            for (int base = part * 32 + lane; base < chunks; base += kStride * kUnroll) {
                uint4 wv[kUnroll];
                #pragma unroll
                for (int u = 0; u < kUnroll; ++u) {
                    const int i = base + u * kStride;
                    wv[u] = i < chunks ? w8[i] : uint4{0, 0, 0, 0};
                }
                #pragma unroll
                for (int u = 0; u < kUnroll; ++u) {
                    const int i = base + u * kStride;
                    if (i < chunks) {
                        acc += dot8(wv[u], x4[2 * i], x4[2 * i + 1]);
                    }
                }
            }
        } else {
            for (int i = part * 32 + lane; i < k; i += 32 * kWarpsPerRow) {
                acc += bf16_to_float(wr[i]) * xr[i];
            }
        }
    }
    acc = warp_sum(acc);
    if (lane == 0) {
        partial[warp] = acc;
    }
    __syncthreads();
    if (threadIdx.x < kRows) {
        const int row = blockIdx.x * kRows + threadIdx.x;
        if (row < o) {
            float sum = 0.0f;
            #pragma unroll
            for (int p = 0; p < kWarpsPerRow; ++p) {
                sum += partial[threadIdx.x * kWarpsPerRow + p];
            }
            out[static_cast<size_t>(blockIdx.y) * o + row] = sum + (bias != nullptr ? bias[row] : 0.0f);
        }
    }
}

#define GLIMPSE_GEMV_BF16(name, rows, unroll)                                                                   \
    extern "C" __global__ void __launch_bounds__(256)                                                           \
        name(float* __restrict__ out, const float* __restrict__ x, const bf16_t* __restrict__ w,                 \
             const float* __restrict__ bias, int k, int o) {                                                     \
        gemv_bf16_rows<rows, unroll>(out, x, w, bias, k, o);                                                     \
    }

GLIMPSE_GEMV_BF16(gemv_bf16, 8, 2)
GLIMPSE_GEMV_BF16(gemv_bf16_r4, 4, 4)
GLIMPSE_GEMV_BF16(gemv_bf16_r2, 2, 4)
GLIMPSE_GEMV_BF16(gemv_bf16_r1, 1, 4)

#undef GLIMPSE_GEMV_BF16

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

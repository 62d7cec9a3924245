// Matrix product for prefill: out[r, j] = x[r, :] . w[j, :] + bias[j]; x is [n, k] F32, w is [o, k].
// A block computes a 64 x 64 tile of out with 4 warps (2 x 2, 32 x 32 each), stepping k by 32
// through shared memory. Each warp's 32 x 32 is 2 x 4 fragments of the m16n8k16 tensor-core
// instruction; the SIMT path computes exactly the elements of those fragments that the same
// thread would own, so the loads, the fragment ownership and the epilogue are shared by both paths
// (and run in the CPU shim). BF16 weights: x is rounded to bf16 in shared memory, fp32 accumulate.
// F32 weights: the SIMT path on float tiles, no rounding.
// Grid (ceil(o / 64), ceil(n / 64)), 128 threads.
#include "common.cuh"

namespace gemm_tile {
constexpr int kRows = 64;     // of x / out
constexpr int kCols = 64;     // of w / out
constexpr int kDepth = 32;    // k per step
constexpr int kPad = 8;       // elements added to each shared row against bank conflicts
constexpr int kStride = kDepth + kPad;
constexpr int kThreads = 128;
}  // namespace gemm_tile

template <class T>
__device__ __forceinline__ T to_tile(float v);
template <>
__device__ __forceinline__ float to_tile<float>(float v) { return v; }
template <>
__device__ __forceinline__ bf16_t to_tile<bf16_t>(float v) { return float_to_bf16(v); }

__device__ __forceinline__ float from_tile(float v) { return v; }
__device__ __forceinline__ float from_tile(bf16_t v) { return bf16_to_float(v); }

// Copies a 64 x 32 F32 block of src (row stride k, rows < limit, columns < k) into tile, zero-padded.
template <class T>
__device__ __forceinline__ void load_f32_block(T* tile, const float* src, int row0, int limit, int k0, int k,
                                               bool vector_ok) {
    using namespace gemm_tile;
    for (int i = 0; i < (kRows * kDepth / 4) / kThreads; ++i) {
        const int index = threadIdx.x + i * kThreads;
        const int r = index >> 3;
        const int c = (index & 7) * 4;
        const int gr = row0 + r;
        const int gc = k0 + c;
        float v[4];
        if (vector_ok && gr < limit && gc + 3 < k) {
            const float4 f = *reinterpret_cast<const float4*>(src + static_cast<size_t>(gr) * k + gc);
            v[0] = f.x;
            v[1] = f.y;
            v[2] = f.z;
            v[3] = f.w;
        } else {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                v[e] = (gr < limit && gc + e < k) ? src[static_cast<size_t>(gr) * k + gc + e] : 0.0f;
            }
        }
        #pragma unroll
        for (int e = 0; e < 4; ++e) {
            tile[r * kStride + c + e] = to_tile<T>(v[e]);
        }
    }
}

// Copies a 64 x 32 BF16 block of w into tile, zero-padded.
__device__ __forceinline__ void load_bf16_block(bf16_t* tile, const bf16_t* src, int row0, int limit, int k0, int k,
                                                bool vector_ok) {
    using namespace gemm_tile;
    for (int i = 0; i < (kCols * kDepth / 8) / kThreads; ++i) {
        const int index = threadIdx.x + i * kThreads;
        const int r = index >> 2;
        const int c = (index & 3) * 8;
        const int gr = row0 + r;
        const int gc = k0 + c;
        bf16_t* dst = tile + r * kStride + c;
        if (vector_ok && gr < limit && gc + 7 < k) {
            *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src + static_cast<size_t>(gr) * k + gc);
        } else {
            #pragma unroll
            for (int e = 0; e < 8; ++e) {
                dst[e] = (gr < limit && gc + e < k) ? src[static_cast<size_t>(gr) * k + gc + e] : bf16_t{0};
            }
        }
    }
}

// acc[mi][ni][e] belongs to row 16 mi + group (+8 for e >= 2) and column 8 ni + 2 quad (+1 for odd e)
// of the warp's 32 x 32, as the m16n8k16 accumulator layout says.
template <class T>
__device__ __forceinline__ void simt_step(float (&acc)[2][4][4], const T* xs, const T* ws, int warp_row,
                                          int warp_col, int group, int quad, int k16) {
    #pragma unroll
    for (int mi = 0; mi < 2; ++mi) {
        #pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                const T* a = xs + (warp_row + mi * 16 + group + (e >> 1) * 8) * gemm_tile::kStride + k16;
                const T* b = ws + (warp_col + ni * 8 + quad * 2 + (e & 1)) * gemm_tile::kStride + k16;
                float sum = 0.0f;
                #pragma unroll
                for (int kk = 0; kk < 16; ++kk) {
                    sum += from_tile(a[kk]) * from_tile(b[kk]);
                }
                acc[mi][ni][e] += sum;
            }
        }
    }
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
__device__ __forceinline__ unsigned pair_at(const bf16_t* tile, int row, int col) {
    return *reinterpret_cast<const unsigned*>(tile + row * gemm_tile::kStride + col);
}

__device__ __forceinline__ void mma_step(float (&acc)[2][4][4], const bf16_t* xs, const bf16_t* ws, int warp_row,
                                         int warp_col, int group, int quad, int k16) {
    unsigned a[2][4];
    #pragma unroll
    for (int mi = 0; mi < 2; ++mi) {
        const int r = warp_row + mi * 16 + group;
        a[mi][0] = pair_at(xs, r, k16 + quad * 2);
        a[mi][1] = pair_at(xs, r + 8, k16 + quad * 2);
        a[mi][2] = pair_at(xs, r, k16 + quad * 2 + 8);
        a[mi][3] = pair_at(xs, r + 8, k16 + quad * 2 + 8);
    }
    #pragma unroll
    for (int ni = 0; ni < 4; ++ni) {
        const int c = warp_col + ni * 8 + group;
        const unsigned b0 = pair_at(ws, c, k16 + quad * 2);
        const unsigned b1 = pair_at(ws, c, k16 + quad * 2 + 8);
        #pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            float* d = acc[mi][ni];
            asm volatile(
                "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};\n"
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                : "r"(a[mi][0]), "r"(a[mi][1]), "r"(a[mi][2]), "r"(a[mi][3]), "r"(b0), "r"(b1));
        }
    }
}
#endif

template <class WeightT, bool kTensorCores>
__device__ __forceinline__ void gemm_tiles(float* __restrict__ out, const float* __restrict__ x,
                                           const WeightT* __restrict__ w, const float* __restrict__ bias, int n,
                                           int k, int o) {
    using namespace gemm_tile;
    __shared__ __align__(16) WeightT xs[kRows * kStride];
    __shared__ __align__(16) WeightT ws[kCols * kStride];
    const int row0 = blockIdx.y * kRows;
    const int col0 = blockIdx.x * kCols;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int warp_row = (warp >> 1) * 32;
    const int warp_col = (warp & 1) * 32;
    const int group = lane >> 2;
    const int quad = lane & 3;
    const bool x_vector = (k & 3) == 0 && aligned16(x);
    const bool w_vector = (k & (16 / sizeof(WeightT) - 1)) == 0 && aligned16(w);

    float acc[2][4][4];
    #pragma unroll
    for (int mi = 0; mi < 2; ++mi) {
        #pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                acc[mi][ni][e] = 0.0f;
            }
        }
    }
    for (int k0 = 0; k0 < k; k0 += kDepth) {
        __syncthreads();  // everyone is done reading the previous step's tiles
        load_f32_block(xs, x, row0, n, k0, k, x_vector);
        if constexpr (sizeof(WeightT) == 2) {
            load_bf16_block(ws, w, col0, o, k0, k, w_vector);
        } else {
            load_f32_block(ws, w, col0, o, k0, k, w_vector);
        }
        __syncthreads();
        for (int k16 = 0; k16 < kDepth; k16 += 16) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
            if constexpr (kTensorCores) {
                mma_step(acc, xs, ws, warp_row, warp_col, group, quad, k16);
            } else {
                simt_step(acc, xs, ws, warp_row, warp_col, group, quad, k16);
            }
#else
            simt_step(acc, xs, ws, warp_row, warp_col, group, quad, k16);
#endif
        }
    }
    #pragma unroll
    for (int mi = 0; mi < 2; ++mi) {
        #pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
            #pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int r = row0 + warp_row + mi * 16 + group + (e >> 1) * 8;
                const int c = col0 + warp_col + ni * 8 + quad * 2 + (e & 1);
                if (r < n && c < o) {
                    out[static_cast<size_t>(r) * o + c] = acc[mi][ni][e] + (bias != nullptr ? bias[c] : 0.0f);
                }
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(128) gemm_bf16(float* __restrict__ out, const float* __restrict__ x,
                                                            const bf16_t* __restrict__ w,
                                                            const float* __restrict__ bias, int n, int k, int o) {
    gemm_tiles<bf16_t, true>(out, x, w, bias, n, k, o);
}

// The same kernel with the SIMT inner step forced: what the shim runs, checkable on a GPU too.
extern "C" __global__ void __launch_bounds__(128) gemm_bf16_simt(float* __restrict__ out, const float* __restrict__ x,
                                                                 const bf16_t* __restrict__ w,
                                                                 const float* __restrict__ bias, int n, int k, int o) {
    gemm_tiles<bf16_t, false>(out, x, w, bias, n, k, o);
}

extern "C" __global__ void __launch_bounds__(128) gemm_f32(float* __restrict__ out, const float* __restrict__ x,
                                                           const float* __restrict__ w,
                                                           const float* __restrict__ bias, int n, int k, int o) {
    gemm_tiles<float, false>(out, x, w, bias, n, k, o);
}

// Helpers shared by every Glimpse kernel. Compiled by nvcc for the GPU and, through
// include/cuda_shim.h, as plain C++ for the CPU tests: everything here must mean the same on both.
#pragma once

typedef unsigned short bf16_t;

constexpr unsigned kFullWarp = 0xffffffffu;

// bf16 is the top half of an IEEE float.
__device__ __forceinline__ float bf16_to_float(bf16_t v) {
    return __uint_as_float(static_cast<unsigned>(v) << 16);
}

// Round to nearest even; activations are finite, so NaN needs no special case.
__device__ __forceinline__ bf16_t float_to_bf16(float f) {
    unsigned u = __float_as_uint(f);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<bf16_t>(u >> 16);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(kFullWarp, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(kFullWarp, v, offset));
    }
    return v;
}

// Sum over a block whose size is a multiple of 32; every thread gets the total.
// scratch: 32 floats of shared memory, free for reuse once this returns.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // the previous user of scratch is done
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    return warp_sum(lane < warps ? scratch[lane] : 0.0f);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    return warp_max(lane < warps ? scratch[lane] : -INFINITY);
}

__device__ __forceinline__ bool aligned16(const void* p) {
    return (reinterpret_cast<unsigned long long>(p) & 15u) == 0;
}

// Dynamic shared memory: the GPU's extern array, or the shim's per-launch buffer.
#ifdef GLIMPSE_CUDA_SHIM
#define GLIMPSE_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(shim::dynamic_shared())
#else
// Declared once here: kernels with C and with C++ linkage both use it.
extern __shared__ __align__(16) unsigned char glimpse_dynamic_smem[];
#define GLIMPSE_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(glimpse_dynamic_smem)
#endif

// Tensor-core and asynchronous-copy primitives (sm_80 and newer): inline PTX on the GPU. In the CPU
// shim each is an emulation (include/cuda_shim.h) that moves the same elements between the same
// lanes as the instruction does (PTX ISA: ldmatrix, mma.m16n8k16 fragment layouts, cp.async), so a
// kernel's fragment and shared-memory bookkeeping runs, and is tested, on the CPU.
#pragma once

#include "common.cuh"

#ifndef GLIMPSE_CUDA_SHIM
__device__ __forceinline__ unsigned shared_address(const void* p) {
    return static_cast<unsigned>(__cvta_generic_to_shared(p));
}
#endif

// 16 bytes from global src to shared dst without passing through registers; !valid writes zeros
// (and reads nothing: src only has to be some valid pointer).
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, bool valid) {
#ifdef GLIMPSE_CUDA_SHIM
    shim::cp_async(dst, src, 16, valid ? 16 : 0);
#else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(dst)), "l"(src),
                 "r"(valid ? 16 : 0));
#endif
}

// The same for 8 bytes (sources that are only 8-byte aligned).
__device__ __forceinline__ void cp_async_8(void* dst, const void* src, bool valid) {
#ifdef GLIMPSE_CUDA_SHIM
    shim::cp_async(dst, src, 8, valid ? 8 : 0);
#else
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(shared_address(dst)), "l"(src),
                 "r"(valid ? 8 : 0));
#endif
}

// Closes the group of copies this thread issued since the last commit.
__device__ __forceinline__ void cp_async_commit() {
#ifndef GLIMPSE_CUDA_SHIM
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}

// Waits until at most kPending of this thread's groups are still in flight (the shim copies at once).
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
#ifndef GLIMPSE_CUDA_SHIM
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
#endif
}

// Four 8x8 b16 matrices from shared memory: lanes 8i .. 8i+7 give the row addresses of matrix i
// (16 bytes each); lane t receives, in r[i], elements 2(t % 4) and 2(t % 4) + 1 of row t / 4 of matrix i.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* row) {
#ifdef GLIMPSE_CUDA_SHIM
    shim::ldmatrix_x4(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(shared_address(row)));
#endif
}

// The same with .trans: lane t receives, in r[i], elements (2(t % 4), t / 4) and (2(t % 4) + 1, t / 4)
// of matrix i (rows as addressed): a B fragment from a tile stored k-major, such as V[key][d].
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* row) {
#ifdef GLIMPSE_CUDA_SHIM
    shim::ldmatrix_x4_trans(r, row);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(shared_address(row)));
#endif
}

// Two floats as a bf16 pair (round to nearest even), the first in the low half: an mma operand register.
__device__ __forceinline__ unsigned pack_bf16x2(float low, float high) {
    return static_cast<unsigned>(float_to_bf16(low)) | (static_cast<unsigned>(float_to_bf16(high)) << 16);
}

// d += a · b for a 16x16 (row-major) bf16 tile a, a 16x8 (column-major) bf16 tile b and a 16x8 f32
// tile d, in the m16n8k16 fragment layout (group g = lane / 4, q = lane % 4): a[0] holds row g,
// columns 2q, 2q+1; a[1] row g+8; a[2], a[3] the same rows at columns + 8; b[0] holds rows 2q, 2q+1
// of column g, b[1] rows + 8; d[0], d[1] row g, columns 2q, 2q+1; d[2], d[3] row g+8.
__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#ifdef GLIMPSE_CUDA_SHIM
    shim::mma_bf16_16816(d, a, b);
#else
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// Activations rounded to bf16 for the tensor-core GEMM (gemm_tc.cu): dst[r, c] = bf16(src[r, c]) for
// c < k, 0 for k <= c < stride; src is [rows, k] F32, dst rows are stride (a multiple of 4) apart.
// One thread per 4 outputs (one 8-byte store). Grid ceil(rows * stride / 4 / 256), 256 threads.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) convert_bf16(bf16_t* __restrict__ dst, const float* __restrict__ src,
                                                               int rows, int k, int stride) {
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int quads = stride >> 2;
    if (i >= static_cast<long long>(rows) * quads) {
        return;
    }
    const int r = static_cast<int>(i / quads);
    const int c = static_cast<int>(i - static_cast<long long>(r) * quads) * 4;
    const float* row = src + static_cast<size_t>(r) * k;
    float v[4];
    if ((k & 3) == 0 && c < k && aligned16(src)) {
        const float4 f = *reinterpret_cast<const float4*>(row + c);
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
    } else {
        #pragma unroll
        for (int e = 0; e < 4; ++e) {
            v[e] = c + e < k ? row[c + e] : 0.0f;
        }
    }
    uint2 packed;
    packed.x = static_cast<unsigned>(float_to_bf16(v[0])) | (static_cast<unsigned>(float_to_bf16(v[1])) << 16);
    packed.y = static_cast<unsigned>(float_to_bf16(v[2])) | (static_cast<unsigned>(float_to_bf16(v[3])) << 16);
    *reinterpret_cast<uint2*>(dst + static_cast<size_t>(r) * stride + c) = packed;
}

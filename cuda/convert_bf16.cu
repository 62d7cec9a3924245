// Activations rounded to bf16 for the tensor-core GEMM (gemm_tc.cu): hi[r, c] = bf16(src[r, c]) for
// c < k, 0 for k <= c < stride; src is [rows, k] F32, hi rows are stride (a multiple of 4) apart.
// With lo (not null), also lo = bf16(src - hi): hi + lo carries src to about 2^-16 relative, so the
// GEMM run on each term (gemm_tc's accumulate) gives products with F32-grade activations.
// One thread per 4 outputs (8-byte stores). Grid ceil(rows * stride / 4 / 256), 256 threads.
#include "common.cuh"

__device__ __forceinline__ uint2 pack_bf16(const bf16_t (&v)[4]) {
    return uint2{static_cast<unsigned>(v[0]) | (static_cast<unsigned>(v[1]) << 16),
                 static_cast<unsigned>(v[2]) | (static_cast<unsigned>(v[3]) << 16)};
}

extern "C" __global__ void __launch_bounds__(256) convert_bf16(bf16_t* __restrict__ hi, bf16_t* __restrict__ lo,
                                                               const float* __restrict__ src, int rows, int k,
                                                               int stride) {
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
    bf16_t h[4];
    bf16_t l[4];
    #pragma unroll
    for (int e = 0; e < 4; ++e) {
        h[e] = float_to_bf16(v[e]);
        l[e] = float_to_bf16(v[e] - bf16_to_float(h[e]));
    }
    const size_t at = static_cast<size_t>(r) * stride + c;
    *reinterpret_cast<uint2*>(hi + at) = pack_bf16(h);
    if (lo != nullptr) {
        *reinterpret_cast<uint2*>(lo + at) = pack_bf16(l);
    }
}

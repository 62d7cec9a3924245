// Pillow-exact separable resampling (BICUBIC, LANCZOS) of interleaved 8-bit images, one pass per
// launch. The host computes Pillow's fixed-point tables (22 fractional bits): for output index i,
// bounds[2 i] is the first input tap, bounds[2 i + 1] the tap count, coeffs[i * ksize + t] the
// weights. Each output sample is clamp((2^21 + sum in * coeff) >> 22, 0, 255).
// Horizontal: grid (ceil(out_w * channels / 256), rows). Vertical: grid (ceil(width * channels / 256), out_h).
#include "common.cuh"

__device__ __forceinline__ unsigned char clip8(int accumulator) {
    const int v = accumulator >> 22;
    return static_cast<unsigned char>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

extern "C" __global__ void __launch_bounds__(256)
    resample_horizontal_u8(unsigned char* __restrict__ out, const unsigned char* __restrict__ in,
                           const int* __restrict__ bounds, const int* __restrict__ coeffs, int ksize, int in_w,
                           int out_w, int channels) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= out_w * channels) {
        return;
    }
    const int x = i / channels;
    const int c = i - x * channels;
    const int first = bounds[2 * x];
    const int taps = bounds[2 * x + 1];
    const int* weight = coeffs + x * ksize;
    const unsigned char* src = in + (static_cast<size_t>(blockIdx.y) * in_w + first) * channels + c;
    int accumulator = 1 << 21;
    for (int t = 0; t < taps; ++t) {
        accumulator += static_cast<int>(src[t * channels]) * weight[t];
    }
    out[static_cast<size_t>(blockIdx.y) * out_w * channels + i] = clip8(accumulator);
}

extern "C" __global__ void __launch_bounds__(256)
    resample_vertical_u8(unsigned char* __restrict__ out, const unsigned char* __restrict__ in,
                         const int* __restrict__ bounds, const int* __restrict__ coeffs, int ksize, int width,
                         int channels) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    const size_t row_bytes = static_cast<size_t>(width) * channels;
    if (i >= static_cast<int>(row_bytes)) {
        return;
    }
    const int y = blockIdx.y;
    const int first = bounds[2 * y];
    const int taps = bounds[2 * y + 1];
    const int* weight = coeffs + y * ksize;
    const unsigned char* src = in + first * row_bytes + i;
    int accumulator = 1 << 21;
    for (int t = 0; t < taps; ++t) {
        accumulator += static_cast<int>(src[t * row_bytes]) * weight[t];
    }
    out[y * row_bytes + i] = clip8(accumulator);
}

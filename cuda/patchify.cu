// Normalisation and patch extraction in one pass (SPEC 2.4-2.5): out row p is the p-th patch in
// merge-block raster order (2 x 2 patches per block, row-major inside), its columns ordered
// (channel, frame, py, px); a still image repeats itself over the temporal frames.
// lut[c * 256 + value] = (float(value / 255) - mean[c]) / std[c], computed on the host in the
// reference's float arithmetic. img is [height][width][channels] u8.
// Grid (patches, ceil(columns / 256)), 256 threads.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    normalize_patchify(float* __restrict__ out, const unsigned char* __restrict__ img, const float* __restrict__ lut,
                       int width, int channels, int patch, int merge, int temporal) {
    const int columns = channels * temporal * patch * patch;
    const int col = blockIdx.y * blockDim.x + threadIdx.x;
    if (col >= columns) {
        return;
    }
    const int px = col % patch;
    const int py = (col / patch) % patch;
    const int channel = col / (patch * patch * temporal);
    const int row = blockIdx.x;
    const int per_block = merge * merge;
    const int blocks_per_row = width / patch / merge;
    const int block = row / per_block;
    const int inside = row - block * per_block;
    const int y = ((block / blocks_per_row) * merge + inside / merge) * patch + py;
    const int x = ((block % blocks_per_row) * merge + inside % merge) * patch + px;
    const unsigned char value = img[(static_cast<size_t>(y) * width + x) * channels + channel];
    out[static_cast<size_t>(row) * columns + col] = lut[channel * 256 + value];
}

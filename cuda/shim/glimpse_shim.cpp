// libglimpse_shim: every kernel of cuda/ compiled as C++ through include/cuda_shim.h, behind one
// cuLaunchKernel-shaped C entry, so Java tests launch them with the geometry the launcher computes.
#include "cuda_shim.h"

#include "../glimpse_kernels.cu"

#include <cstring>

namespace {

struct Entry {
    const char* name;
    shim::Thunk thunk;
};

constexpr Entry kKernels[] = {
    {"add", shim::thunk<add>},
    {"argmax", shim::thunk<argmax>},
    {"attention_decode_combine", shim::thunk<attention_decode_combine>},
    {"attention_decode_split", shim::thunk<attention_decode_split>},
    {"attention_prefill", shim::thunk<attention_prefill>},
    {"attention_prefill_tc_128", shim::thunk<attention_prefill_tc_128>},
    {"attention_prefill_tc_64", shim::thunk<attention_prefill_tc_64>},
    {"attention_prefill_tc_80", shim::thunk<attention_prefill_tc_80>},
    {"convert_bf16", shim::thunk<convert_bf16>},
    {"embed_bf16", shim::thunk<embed_bf16>},
    {"embed_f32", shim::thunk<embed_f32>},
    {"gelu", shim::thunk<gelu>},
    {"gemm_bf16", shim::thunk<gemm_bf16>},
    {"gemm_bf16_simt", shim::thunk<gemm_bf16_simt>},
    {"gemm_f32", shim::thunk<gemm_f32>},
    {"gemm_tc_128x128", shim::thunk<gemm_tc_128x128>},
    {"gemm_tc_128x128_w8", shim::thunk<gemm_tc_128x128_w8>},
    {"gemm_tc_128x256", shim::thunk<gemm_tc_128x256>},
    {"gemm_tc_64x128", shim::thunk<gemm_tc_64x128>},
    {"gemv_bf16", shim::thunk<gemv_bf16>},
    {"gemv_bf16_r1", shim::thunk<gemv_bf16_r1>},
    {"gemv_bf16_r2", shim::thunk<gemv_bf16_r2>},
    {"gemv_bf16_r4", shim::thunk<gemv_bf16_r4>},
    {"gemv_f32", shim::thunk<gemv_f32>},
    {"normalize_patchify", shim::thunk<normalize_patchify>},
    {"resample_horizontal_u8", shim::thunk<resample_horizontal_u8>},
    {"resample_vertical_u8", shim::thunk<resample_vertical_u8>},
    {"rms_norm", shim::thunk<rms_norm>},
    {"rope", shim::thunk<rope>},
    {"sample_nucleus", shim::thunk<sample_nucleus>},
    {"softmax", shim::thunk<softmax>},
    {"swiglu", shim::thunk<swiglu>},
};

}  // namespace

// Returns 0 on success, 1 for an unknown kernel name, 2 for a geometry the GPU would refuse.
extern "C" int glimpse_shim_launch(const char* name, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                                   unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes,
                                   void** args) {
    const unsigned threads = block_x * block_y * block_z;
    if (threads == 0 || threads > 1024 || grid_x == 0 || grid_y == 0 || grid_z == 0 || grid_y > 65535 ||
        grid_z > 65535 || shared_bytes > 227 * 1024) {
        return 2;
    }
    for (const Entry& entry : kKernels) {
        if (std::strcmp(entry.name, name) == 0) {
            shim::launch(entry.thunk, dim3{grid_x, grid_y, grid_z}, dim3{block_x, block_y, block_z}, shared_bytes,
                         args);
            return 0;
        }
    }
    return 1;
}

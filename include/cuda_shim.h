// Runs unmodified .cu kernels on the CPU, for tests on machines without a GPU.
// Each CUDA thread of a block is a std::thread; the blocks of a grid run one after another on the
// same threads. __syncthreads is a std::barrier over the block, warp shuffles go through per-warp
// scratch slots between two barriers over the warp, atomics are std::atomic_ref. __shared__
// variables become function statics, shared by the block's threads and reused block after block.
// Limits (the kernels keep to them): a warp shuffle needs every lane of its warp; no thread may
// leave the kernel before a __syncthreads that others still reach; no tensor-core instructions
// (kernels guard them with __CUDA_ARCH__, which is never defined here).
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define GLIMPSE_CUDA_SHIM 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
struct alignas(8) uint2 {
    unsigned x, y;
};
struct alignas(8) int2 {
    int x, y;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
constexpr int warpSize = 32;

namespace shim {

// Bytes each lane may publish through warp_exchange.
constexpr size_t kExchangeBytes = 64;

// What the threads of one launch share.
struct Launch {
    explicit Launch(unsigned threads, size_t shared_bytes)
        : block_barrier(threads), dynamic_shared(shared_bytes + 16) {
        for (unsigned first = 0; first < threads; first += 32) {
            warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - first)));
        }
        shuffle_slots.resize(warp_barriers.size() * 32);
        exchange_slots.resize(warp_barriers.size() * 32 * kExchangeBytes);
    }
    std::barrier<> block_barrier;
    std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
    std::vector<unsigned long long> shuffle_slots;
    std::vector<unsigned char> dynamic_shared;
    std::vector<unsigned char> exchange_slots;  // warp_exchange: kExchangeBytes per lane
};

inline thread_local Launch* current = nullptr;
inline thread_local unsigned linear_thread = 0;

inline unsigned char* dynamic_shared() {
    auto address = reinterpret_cast<std::uintptr_t>(current->dynamic_shared.data());
    return reinterpret_cast<unsigned char*>((address + 15) & ~std::uintptr_t{15});
}

inline unsigned lane() { return linear_thread & 31u; }

// Every lane publishes its value, then reads the source lane's (the same value if src is out of range).
template <class T>
T shuffle(T value, unsigned src) {
    static_assert(sizeof(T) <= sizeof(unsigned long long) && std::is_trivially_copyable_v<T>);
    const unsigned warp = linear_thread >> 5;
    auto& barrier = *current->warp_barriers[warp];
    unsigned long long* slots = &current->shuffle_slots[warp * 32];
    unsigned long long bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    slots[lane()] = bits;
    barrier.arrive_and_wait();
    T result = value;
    std::memcpy(&result, &slots[src], sizeof(T));
    barrier.arrive_and_wait();
    return result;
}

// Every lane publishes mine, then receives every lane's (operands of instructions that cross lanes).
template <class T>
void warp_exchange(const T& mine, T (&all)[32]) {
    static_assert(sizeof(T) <= kExchangeBytes && std::is_trivially_copyable_v<T>);
    const unsigned warp = linear_thread >> 5;
    auto& barrier = *current->warp_barriers[warp];
    unsigned char* slots = &current->exchange_slots[warp * 32 * kExchangeBytes];
    std::memcpy(slots + lane() * kExchangeBytes, &mine, sizeof(T));
    barrier.arrive_and_wait();
    for (unsigned l = 0; l < 32; ++l) {
        std::memcpy(&all[l], slots + l * kExchangeBytes, sizeof(T));
    }
    barrier.arrive_and_wait();
}

using Thunk = void (*)(void** args);

template <class F>
struct KernelSignature;
template <class... A>
struct KernelSignature<void (*)(A...)> {
    template <size_t... I>
    static void call(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
        kernel(*static_cast<std::remove_reference_t<A>*>(args[I])...);
    }
    static void call(void (*kernel)(A...), void** args) { call(kernel, args, std::index_sequence_for<A...>{}); }
};

// A cuLaunchKernel-style entry for kernel K: args[i] points at the i-th parameter's value.
template <auto K>
void thunk(void** args) {
    KernelSignature<decltype(K)>::call(K, args);
}

// Runs grid × block with one std::thread per thread of a block; returns once every block is done.
inline void launch(Thunk kernel, dim3 grid, dim3 block, size_t shared_bytes, void** args) {
    const unsigned threads = block.x * block.y * block.z;
    Launch state(threads, shared_bytes);
    std::fill(state.dynamic_shared.begin(), state.dynamic_shared.end(), 0xff);  // NaN floats: unwritten reads show
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&state, kernel, grid, block, args, t] {
            current = &state;
            linear_thread = t;
            blockDim = block;
            gridDim = grid;
            threadIdx = dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            for (unsigned z = 0; z < grid.z; ++z) {
                for (unsigned y = 0; y < grid.y; ++y) {
                    for (unsigned x = 0; x < grid.x; ++x) {
                        blockIdx = dim3{x, y, z};
                        kernel(args);
                        state.block_barrier.arrive_and_wait();  // the next block reuses __shared__ statics
                    }
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
}

}  // namespace shim

inline void __syncthreads() { shim::current->block_barrier.arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { shim::shuffle(0, shim::lane()); }

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
    return shim::shuffle(v, (shim::lane() & ~unsigned(width - 1)) + unsigned(src & (width - 1)));
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    unsigned src = shim::lane() ^ unsigned(mask);
    return shim::shuffle(v, src < ((shim::lane() & ~unsigned(width - 1)) + width) ? src : shim::lane());
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    unsigned segment_end = (shim::lane() & ~unsigned(width - 1)) + width;
    unsigned src = shim::lane() + delta;
    return shim::shuffle(v, src < segment_end ? src : shim::lane());
}

template <class T>
T atomicAdd(T* address, T v) {
    return std::atomic_ref<T>(*address).fetch_add(v);
}
template <class T>
T atomicMax(T* address, T v) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (old < v && !ref.compare_exchange_weak(old, v)) {
    }
    return old;
}

inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
template <class T>
T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }

// Emulations of the PTX instructions in cuda/mma.cuh, element for element.
namespace shim {

// cp.async: copy src_bytes of copy_bytes, zero-fill the rest (done at once: wait_group has nothing to wait for).
inline void cp_async(void* dst, const void* src, unsigned copy_bytes, unsigned src_bytes) {
    std::memcpy(dst, src, src_bytes);
    std::memset(static_cast<unsigned char*>(dst) + src_bytes, 0, copy_bytes - src_bytes);
}

// ldmatrix.sync.aligned.m8n8.x4.shared.b16.
inline void ldmatrix_x4(unsigned (&r)[4], const void* row) {
    const unsigned char* rows[32];
    warp_exchange(static_cast<const unsigned char*>(row), rows);
    const unsigned l = lane();
    for (unsigned m = 0; m < 4; ++m) {
        std::memcpy(&r[m], rows[m * 8 + (l >> 2)] + (l & 3) * 4, 4);
    }
}

// ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16: lane t gets column t / 4, rows 2 (t % 4) and 2 (t % 4) + 1.
inline void ldmatrix_x4_trans(unsigned (&r)[4], const void* row) {
    const unsigned char* rows[32];
    warp_exchange(static_cast<const unsigned char*>(row), rows);
    const unsigned l = lane();
    for (unsigned m = 0; m < 4; ++m) {
        unsigned short low;
        unsigned short high;
        std::memcpy(&low, rows[m * 8 + 2 * (l & 3)] + (l >> 2) * 2, 2);
        std::memcpy(&high, rows[m * 8 + 2 * (l & 3) + 1] + (l >> 2) * 2, 2);
        r[m] = unsigned(low) | (unsigned(high) << 16);
    }
}

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32, accumulating in float in k order.
inline void mma_bf16_16816(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
    struct Operands {
        unsigned a[4];
        unsigned b[2];
    };
    Operands all[32];
    warp_exchange(Operands{{a[0], a[1], a[2], a[3]}, {b[0], b[1]}}, all);
    auto half = [](unsigned pair, unsigned odd) { return __uint_as_float(((pair >> (16 * odd)) & 0xffffu) << 16); };
    // A[row][k] sits in lane 4 (row % 8) + (k % 8) / 2, register (row / 8) + 2 (k / 8); B[k][col] in lane
    // 4 col + (k % 8) / 2, register k / 8; the odd element of a pair in the upper half.
    auto element_a = [&](unsigned row, unsigned k) {
        return half(all[4 * (row & 7) + ((k & 7) >> 1)].a[(row >> 3) + 2 * (k >> 3)], k & 1);
    };
    auto element_b = [&](unsigned k, unsigned col) { return half(all[4 * col + ((k & 7) >> 1)].b[k >> 3], k & 1); };
    const unsigned group = lane() >> 2;
    const unsigned quad = lane() & 3;
    for (unsigned e = 0; e < 4; ++e) {
        const unsigned row = group + 8 * (e >> 1);
        const unsigned col = 2 * quad + (e & 1);
        float sum = 0.0f;
        for (unsigned k = 0; k < 16; ++k) {
            sum += element_a(row, k) * element_b(k, col);
        }
        d[e] += sum;
    }
}

}  // namespace shim

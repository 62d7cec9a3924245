// Draws a token from each row of logits as the Java NucleusDraw does, given one uniform number u in
// [0, 1): candidates in descending logit order (the lower id first on ties), the first top_k of them
// (all when top_k <= 0), weights exp((logit - max) / temperature), the smallest prefix whose share of
// the weight reaches top_p, and in it the first candidate whose cumulative weight reaches u times the
// prefix's weight. No sort: the order is a 64-bit key (order-preserving bits of -logit, then the id),
// and each choice is "the smallest key whose cumulative weight reaches a target", found one byte of
// the key at a time in 8 passes over the row that sum the weights of the keys under the prefix found
// so far into 256 buckets. Weights are fixed point (2^-40 units), so shared-memory atomics add them
// exactly in any order and the draw is deterministic. One block of 1024 threads per row.
#include "common.cuh"

namespace nucleus {
constexpr int kBuckets = 256;
constexpr float kUnits = 1099511627776.0f;  // 2^40 units per weight 1 (the largest weight)
constexpr unsigned long long kAllKeys = ~0ull;
}  // namespace nucleus

__device__ __forceinline__ unsigned long long candidate_key(float logit, int id) {
    unsigned int bits = __float_as_uint(-logit);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // unsigned order = float order
    bits = logit == logit ? bits : 0xffffffffu;                   // NaN (of either sign) last
    return (static_cast<unsigned long long>(bits) << 32) | static_cast<unsigned int>(id);
}

__device__ __forceinline__ unsigned long long candidate_weight(float logit, float max, float temperature) {
    const float w = expf((logit - max) / temperature);
    return w == w ? static_cast<unsigned long long>(w * nucleus::kUnits) : 0ull;  // NaN weighs nothing
}

// The total weight (or count) of the keys <= limit.
__device__ unsigned long long weight_up_to(const float* row, int cols, float max, float temperature,
                                           unsigned long long limit, unsigned long long* total) {
    if (threadIdx.x == 0) {
        *total = 0;
    }
    __syncthreads();
    unsigned long long mine = 0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        if (candidate_key(row[c], c) <= limit) {
            mine += candidate_weight(row[c], max, temperature);
        }
    }
    atomicAdd(total, mine);
    __syncthreads();
    const unsigned long long result = *total;
    __syncthreads();  // total is reset by the next call
    return result;
}

// The smallest key <= limit whose cumulative weight (keys <= limit, ascending; each key weighs 1 when
// counting) reaches target; the largest key <= limit with a weight when the total falls short.
// Returns the key; *through gets the cumulative weight up to and including it.
__device__ unsigned long long smallest_key_reaching(const float* row, int cols, float max, float temperature,
                                                    bool counting, unsigned long long limit,
                                                    unsigned long long target, unsigned long long* histogram,
                                                    unsigned long long* chosen, unsigned long long* through) {
    using namespace nucleus;
    unsigned long long prefix = 0;
    unsigned long long below = 0;  // weight of the keys under the prefix's range
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < kBuckets; b += blockDim.x) {
            histogram[b] = 0;
        }
        __syncthreads();
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            const unsigned long long key = candidate_key(row[c], c);
            if (key <= limit && (shift == 56 || (key >> (shift + 8)) == prefix)) {
                const unsigned long long w = counting ? 1ull : candidate_weight(row[c], max, temperature);
                if (w != 0) {
                    atomicAdd(&histogram[(key >> shift) & 0xff], w);
                }
            }
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int pick = -1;
            unsigned long long before = below;
            unsigned long long cumulative = below;
            for (int b = 0; b < kBuckets; ++b) {
                if (histogram[b] == 0) {
                    continue;
                }
                pick = b;  // the last bucket with weight, should the target lie beyond the total
                before = cumulative;
                cumulative += histogram[b];
                if (cumulative >= target) {
                    break;
                }
            }
            chosen[0] = (prefix << 8) | static_cast<unsigned long long>(pick < 0 ? 0 : pick);
            chosen[1] = before;
            chosen[2] = cumulative;
        }
        __syncthreads();
        prefix = chosen[0];
        below = chosen[1];
        *through = chosen[2];
        __syncthreads();  // chosen and histogram are rewritten by the next pass
    }
    return prefix;
}

extern "C" __global__ void __launch_bounds__(1024)
    sample_nucleus(int* __restrict__ out, const float* __restrict__ logits, int cols, float temperature, int top_k,
                   float top_p, float u) {
    using namespace nucleus;
    __shared__ unsigned long long histogram[kBuckets];
    __shared__ unsigned long long chosen[3];
    __shared__ unsigned long long total;
    __shared__ float warp_largest[32];
    const float* row = logits + static_cast<size_t>(blockIdx.x) * cols;

    float largest = -INFINITY;  // NaN never wins
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        largest = row[c] > largest ? row[c] : largest;
    }
    largest = warp_max(largest);
    if ((threadIdx.x & 31) == 0) {
        warp_largest[threadIdx.x >> 5] = largest;
    }
    __syncthreads();
    largest = -INFINITY;
    for (int w = 0; w < static_cast<int>(blockDim.x >> 5); ++w) {
        largest = fmaxf(largest, warp_largest[w]);
    }

    unsigned long long through = 0;
    unsigned long long keep = kAllKeys;
    if (top_k > 0 && top_k < cols) {
        keep = smallest_key_reaching(row, cols, largest, temperature, true, kAllKeys,
                                     static_cast<unsigned long long>(top_k), histogram, chosen, &through);
    }
    unsigned long long mass = weight_up_to(row, cols, largest, temperature, keep, &total);
    unsigned long long nucleus = keep;
    if (top_p < 1.0f) {
        const auto target = static_cast<unsigned long long>(top_p * static_cast<float>(mass));
        nucleus = smallest_key_reaching(row, cols, largest, temperature, false, keep, target, histogram, chosen,
                                        &through);
        mass = through;
    }
    const auto target = static_cast<unsigned long long>(u * static_cast<float>(mass));
    const unsigned long long drawn =
        smallest_key_reaching(row, cols, largest, temperature, false, nucleus, target, histogram, chosen, &through);
    if (threadIdx.x == 0) {
        const auto id = static_cast<unsigned int>(drawn & 0xffffffffull);
        out[blockIdx.x] = id < static_cast<unsigned int>(cols) ? static_cast<int>(id) : 0;
    }
}

// Runs the kernels that use shared memory, barriers and shuffles through the shim under
// ThreadSanitizer (built by cmake/, run by ctest): a race in a kernel, or in the shim, fails it.
// Each launch is also checked against a plain loop so that a silent no-op cannot pass.
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <vector>

extern "C" int glimpse_shim_launch(const char* name, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                                   unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared_bytes,
                                   void** args);

namespace {

int failures = 0;

void expect_close(const char* what, const std::vector<float>& got, const std::vector<float>& want, float tolerance) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        diff += (got[i] - want[i]) * double(got[i] - want[i]);
        norm += want[i] * double(want[i]);
    }
    const double relative = std::sqrt(diff / (norm > 0 ? norm : 1));
    if (!(relative <= tolerance)) {
        std::printf("FAIL %s: relative error %g > %g\n", what, relative, double(tolerance));
        ++failures;
    } else {
        std::printf("ok   %s (relative error %.2g)\n", what, relative);
    }
}

void launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned shared,
            std::vector<void*> args) {
    if (glimpse_shim_launch(name, gx, gy, gz, bx, 1, 1, shared, args.data()) != 0) {
        std::printf("FAIL %s: launch refused\n", name);
        ++failures;
    }
}

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
    std::normal_distribution<float> normal;
    std::vector<float> v(n);
    for (float& f : v) {
        f = normal(rng);
    }
    return v;
}

}  // namespace

int main() {
    std::mt19937 rng(7);

    {  // rms_norm: block_sum over 8 warps
        int rows = 3, cols = 300;
        float eps = 1e-6f;
        auto x = random_floats(rng, rows * cols), w = random_floats(rng, cols);
        std::vector<float> out(rows * cols), want(rows * cols);
        float *po = out.data(), *px = x.data(), *pw = w.data();
        launch("rms_norm", rows, 1, 1, 256, 0, {&po, &px, &pw, &cols, &eps});
        for (int r = 0; r < rows; ++r) {
            double ss = 0;
            for (int c = 0; c < cols; ++c) ss += double(x[r * cols + c]) * x[r * cols + c];
            double scale = 1 / std::sqrt(ss / cols + eps);
            for (int c = 0; c < cols; ++c) want[r * cols + c] = float(x[r * cols + c] * scale * w[c]);
        }
        expect_close("rms_norm", out, want, 1e-5f);
    }
    {  // softmax: block_max then block_sum reusing one scratch
        int rows = 2, cols = 513;
        auto x = random_floats(rng, rows * cols);
        std::vector<float> want(rows * cols);
        for (int r = 0; r < rows; ++r) {
            double m = -INFINITY, s = 0;
            for (int c = 0; c < cols; ++c) m = std::fmax(m, x[r * cols + c]);
            for (int c = 0; c < cols; ++c) s += std::exp(x[r * cols + c] - m);
            for (int c = 0; c < cols; ++c) want[r * cols + c] = float(std::exp(x[r * cols + c] - m) / s);
        }
        float* px = x.data();
        launch("softmax", rows, 1, 1, 256, 0, {&px, &cols});
        expect_close("softmax", x, want, 1e-5f);
    }
    {  // argmax: two-level shuffle reduction
        int rows = 2, cols = 5000;
        auto x = random_floats(rng, rows * cols);
        x[4321] = 50.0f;
        x[cols + 17] = 50.0f;
        std::vector<int> out(rows, -1);
        int* po = out.data();
        float* px = x.data();
        launch("argmax", rows, 1, 1, 1024, 0, {&po, &px, &cols});
        std::vector<float> got{float(out[0]), float(out[1])}, want{4321.0f, 17.0f};
        expect_close("argmax", got, want, 0.0f);
    }
    {  // sample_nucleus: shared histograms, atomics and a chosen bucket per pass, three searches
        int cols = 3000;
        std::vector<float> x(cols, -30.0f);
        x[100] = 10.0f;
        x[200] = 10.0f - std::log(3.0f);  // weights 1 and 1/3; the rest weigh nothing in 2^-40 units
        struct Case { int top_k; float top_p; int want; } cases[] = {{0, 1.0f, 200}, {1, 1.0f, 100}, {0, 0.5f, 100}};
        std::vector<float> got, want;
        for (const Case& c : cases) {
            int out = -1, top_k = c.top_k;
            float temperature = 1.0f, top_p = c.top_p, u = 0.9f;
            int* po = &out;
            float* px = x.data();
            launch("sample_nucleus", 1, 1, 1, 1024, 0, {&po, &px, &cols, &temperature, &top_k, &top_p, &u});
            got.push_back(float(out));
            want.push_back(float(c.want));
        }
        expect_close("sample_nucleus", got, want, 0.0f);
    }
    {  // gemm: shared tiles, two barriers per step
        int n = 70, k = 72, o = 65;
        auto x = random_floats(rng, n * k), w = random_floats(rng, o * k);
        std::vector<float> out(n * o), want(n * o);
        for (int r = 0; r < n; ++r)
            for (int j = 0; j < o; ++j) {
                double s = 0;
                for (int i = 0; i < k; ++i) s += double(x[r * k + i]) * w[j * k + i];
                want[r * o + j] = float(s);
            }
        float *po = out.data(), *px = x.data(), *pw = w.data(), *pb = nullptr;
        launch("gemm_f32", (o + 63) / 64, (n + 63) / 64, 1, 128, 0, {&po, &px, &pw, &pb, &n, &k, &o});
        expect_close("gemm_f32", out, want, 1e-5f);
    }
    {  // tensor-core gemm: cp.async ring of three stages, ldmatrix and mma exchanges between lanes
        int n = 16, k = 136, o = 128, stride = 136;
        auto x = random_floats(rng, n * k), w = random_floats(rng, o * k);
        std::vector<unsigned short> xb(n * stride), wb(o * k);
        auto to_bf16 = [](float f) {
            unsigned u;
            std::memcpy(&u, &f, 4);
            return static_cast<unsigned short>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        };
        auto from_bf16 = [](unsigned short b) {
            unsigned u = unsigned(b) << 16;
            float f;
            std::memcpy(&f, &u, 4);
            return f;
        };
        for (int i = 0; i < o * k; ++i) wb[i] = to_bf16(w[i]);
        std::vector<float> out(n * o), want(n * o);
        for (int r = 0; r < n; ++r)
            for (int j = 0; j < o; ++j) {
                double sum = 0;
                for (int i = 0; i < k; ++i) sum += double(from_bf16(to_bf16(x[r * k + i]))) * from_bf16(wb[j * k + i]);
                want[r * o + j] = float(sum);
            }
        float *po = out.data(), *px = x.data(), *pb = nullptr;
        unsigned short *pxb = xb.data(), *pwb = wb.data(), *plo = nullptr;
        int accumulate = 0;
        launch("convert_bf16", (n * stride / 4 + 255) / 256, 1, 1, 256, 0, {&pxb, &plo, &px, &n, &k, &stride});
        unsigned shared = 3 * (64 + 128) * 64 * 2;
        launch("gemm_tc_64x128", 1, 1, 1, 256, shared, {&po, &pxb, &stride, &pwb, &pb, &n, &k, &o, &accumulate});
        expect_close("gemm_tc_64x128", out, want, 1e-5f);
    }
    {  // attention: prefill tiles in dynamic shared memory, decode split + combine
        int n = 20, m = 45, heads = 4, kv_heads = 2, hd = 40, offset = 25;
        float scale = 0.15f;
        auto q = random_floats(rng, n * heads * hd), k = random_floats(rng, m * kv_heads * hd),
             v = random_floats(rng, m * kv_heads * hd);
        std::vector<float> want(n * heads * hd), out(n * heads * hd);
        for (int i = 0; i < n; ++i)
            for (int h = 0; h < heads; ++h) {
                int g = h / (heads / kv_heads), keys = std::min(m, offset + i + 1);
                std::vector<double> s(keys);
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < keys; ++j) {
                    double d = 0;
                    for (int e = 0; e < hd; ++e) d += double(q[(i * heads + h) * hd + e]) * k[(j * kv_heads + g) * hd + e];
                    s[j] = d * scale;
                    mx = std::fmax(mx, s[j]);
                }
                for (int j = 0; j < keys; ++j) sum += s[j] = std::exp(s[j] - mx);
                for (int e = 0; e < hd; ++e) {
                    double a = 0;
                    for (int j = 0; j < keys; ++j) a += s[j] * v[(j * kv_heads + g) * hd + e];
                    want[(i * heads + h) * hd + e] = float(a / sum);
                }
            }
        float *po = out.data(), *pq = q.data(), *pk = k.data(), *pv = v.data();
        unsigned shared = (16 * hd + 32 * (hd + 1) + 32 * hd) * 4;
        launch("attention_prefill", (n + 15) / 16, heads, 1, 128, shared,
               {&po, &pq, &pk, &pv, &n, &m, &heads, &kv_heads, &hd, &scale, &offset});
        expect_close("attention_prefill", out, want, 1e-5f);

        int chunk = 16, splits = (m + chunk - 1) / chunk;
        std::vector<float> part_out(n * heads * splits * hd), part_max(n * heads * splits), part_sum(n * heads * splits);
        std::vector<float> out2(n * heads * hd);
        float *ppo = part_out.data(), *ppm = part_max.data(), *pps = part_sum.data(), *po2 = out2.data();
        launch("attention_decode_split", kv_heads, splits, n, 128, 0,
               {&ppo, &ppm, &pps, &pq, &pk, &pv, &m, &heads, &kv_heads, &hd, &scale, &offset, &chunk});
        launch("attention_decode_combine", heads, n, 1, 128, 0, {&po2, &ppo, &ppm, &pps, &heads, &hd, &splits});
        expect_close("attention_decode", out2, want, 1e-5f);
    }
    std::printf("%d passed, %d failed\n", 8 - failures, failures);
    return failures == 0 ? 0 : 1;
}

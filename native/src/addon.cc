// Node-API entry points of the native kernels. Every function takes Float32Arrays that JS
// allocated (inputs and the output) plus an Int32Array of sizes, and returns undefined.
#include <node_api.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"

namespace gsn {
void biasActivation(float* y, int64_t rows, int c, const float* bias, int act, float alpha);
void binary(int op, const int32_t* dims, const int32_t* as, const int32_t* bs, const float* a, const float* b, float* o);
void unary(int op, const float* x, float* y, int64_t n, float alpha);
void reduce(int op, int64_t outer, int64_t mid, int64_t inner, const float* x, float* y);
void maxPoolGrad(const int32_t* g, const float* dy, const float* x, float* dx);
void depthwiseConv(const int32_t* g, const float* x, const float* f, float* y);
const char* gemmName();
const char* convName();
const char* setConvPath(const char* name);
const char* convImpl(const ConvGeom& g, int kind);
const char* winogradMode();
const char* setWinogradMode(const char* name);
void compare(int op, const int32_t* d, const int32_t* as, const int32_t* bs, const float* a, const float* b, uint8_t* o);
void avgPool(const int32_t* g, const float* x, float* y);
void avgPoolGrad(const int32_t* g, const float* dy, float* dx);
void logicalNot(const uint8_t* x, uint8_t* y, int64_t n);
void softmaxRows(const float* x, float* y, int64_t rows, int64_t cols);
void maxPool(const int32_t* g, const float* x, float* y);
void transpose(int rank, const int64_t* len, const int64_t* step, const float* x, float* y);
void affineGridPlan(int n, int h, int w, int outH, int outW, const double* theta, int32_t* idx, float* wt);
void sampleRows(int64_t outRows, int64_t inRows, int64_t c, const int32_t* idx, const float* wt, const float* src, bool adjoint,
                float* out);
void copyBox(int rank, const int64_t* sshape, const int64_t* begin, const int64_t* size, const int64_t* dshape,
             const int64_t* dbegin, const float* src, float* dst);
void sumSquares(int k, const float* const* xs, const int64_t* lens, double* out);
void concatRows(int64_t outer, int k, const float* const* in, const int64_t* rowLen, float* out);
void select(const uint8_t* c, const float* t, const float* e, float* o, int64_t n);
void splitRows(int64_t outer, int k, const float* x, float* const* out, const int64_t* rowLen);
void leakyReluGrad(const float* dy, const float* x, float alpha, float* dx, int64_t n);
void batchNormTrain(const float* x, int64_t rows, int c, const float* gamma, const float* beta, float eps, bool relu,
                    float* y, float* meanOut, float* varOut);
void batchNormTrainGrad(const float* dy, const float* x, const float* y, int64_t rows, int c, const float* gamma,
                        const float* mean, const float* var, const float* dmean, const float* dvar, float eps, float* dx,
                        float* dgamma, float* dbeta);
void resizeBilinear(const int32_t* d, const int32_t* rlo, const int32_t* rhi, const double* rf, const int32_t* clo,
                    const int32_t* chi, const double* cf, const float* x, float* y);
void resizeBilinearGrad(const int32_t* d, const int32_t* rlo, const int32_t* rhi, const double* rf, const int32_t* clo,
                        const int32_t* chi, const double* cf, const float* dy, float* dx);
void resizeNearest(const int32_t* d, const int32_t* ri, const int32_t* ci, const float* x, float* y);
void resizeNearestGrad(const int32_t* d, const int32_t* ri, const int32_t* ci, const float* dy, float* dx);
void adam(const float* x, const float* g, const float* m, const float* v, int64_t n, const float* s, float* xo, float* mo,
          float* vo);
}

namespace {

struct Fail {
  std::string msg;
};

#define CHECK_NAPI(call)                                    \
  do {                                                      \
    if ((call) != napi_ok) throw Fail{"napi call failed: " #call}; \
  } while (0)

template <typename T>
T* typedArray(napi_env env, napi_value v, napi_typedarray_type want, size_t* length, const char* what) {
  bool is = false;
  CHECK_NAPI(napi_is_typedarray(env, v, &is));
  if (!is) throw Fail{std::string(what) + " must be a typed array"};
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_value buf;
  size_t off;
  CHECK_NAPI(napi_get_typedarray_info(env, v, &type, &len, &data, &buf, &off));
  if (type != want) throw Fail{std::string(what) + " has the wrong element type"};
  if (length) *length = len;
  return static_cast<T*>(data);
}

float* f32(napi_env env, napi_value v, size_t need, const char* what) {
  size_t len = 0;
  float* p = typedArray<float>(env, v, napi_float32_array, &len, what);
  if (len < need) throw Fail{std::string(what) + ": expected at least " + std::to_string(need) + " floats, got " + std::to_string(len)};
  return p;
}

int32_t* i32(napi_env env, napi_value v, size_t need, const char* what) {
  size_t len = 0;
  int32_t* p = typedArray<int32_t>(env, v, napi_int32_array, &len, what);
  if (len < need) throw Fail{std::string(what) + ": too few entries"};
  return p;
}

template <size_t N>
void args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < N) throw Fail{"expected " + std::to_string(N) + " arguments"};
}

gsn::ConvGeom geom(const int32_t* p) {
  gsn::ConvGeom g{};
  g.n = p[0]; g.h = p[1]; g.w = p[2]; g.c = p[3];
  g.kh = p[4]; g.kw = p[5]; g.oc = p[6];
  g.sh = p[7]; g.sw = p[8]; g.dh = p[9]; g.dw = p[10];
  g.padTop = p[11]; g.padLeft = p[12];
  g.oh = p[13]; g.ow = p[14];
  return g;
}
size_t inSize(const gsn::ConvGeom& g) { return size_t(g.n) * g.h * g.w * g.c; }
size_t outSize(const gsn::ConvGeom& g) { return size_t(g.n) * g.oh * g.ow * g.oc; }
size_t filterSize(const gsn::ConvGeom& g) { return size_t(g.kh) * g.kw * g.c * g.oc; }

template <typename F>
napi_value guard(napi_env env, F&& f) {
  try {
    return f();
  } catch (const Fail& e) {
    napi_throw_error(env, nullptr, e.msg.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// conv2d(geom Int32Array(15), x, filter, y)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const auto g = geom(i32(env, a[0], 15, "geom"));
    gsn::conv2dForward(g, f32(env, a[1], inSize(g), "x"), f32(env, a[2], filterSize(g), "filter"), f32(env, a[3], outSize(g), "y"));
    return undef(env);
  });
}
// conv2dBackpropInput(geom, dy, filter, dx)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const auto g = geom(i32(env, a[0], 15, "geom"));
    gsn::conv2dBackpropInput(g, f32(env, a[1], outSize(g), "dy"), f32(env, a[2], filterSize(g), "filter"), f32(env, a[3], inSize(g), "dx"));
    return undef(env);
  });
}
// conv2dBackpropFilter(geom, x, dy, dw)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const auto g = geom(i32(env, a[0], 15, "geom"));
    gsn::conv2dBackpropFilter(g, f32(env, a[1], inSize(g), "x"), f32(env, a[2], outSize(g), "dy"), f32(env, a[3], filterSize(g), "dw"));
    return undef(env);
  });
}
// batchMatMul(dims Int32Array[batch, m, n, k, transA, transB, aBatchStride, bBatchStride], a, b, c)
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const int32_t* d = i32(env, a[0], 8, "dims");
    const int batch = d[0], m = d[1], n = d[2], k = d[3];
    const size_t aLen = size_t(d[6]) * (batch - 1) + size_t(m) * k, bLen = size_t(d[7]) * (batch - 1) + size_t(k) * n;
    gsn::batchMatMul(batch, m, n, k, d[4] != 0, d[5] != 0, f32(env, a[1], aLen, "a"), d[6], f32(env, a[2], bLen, "b"), d[7],
                     f32(env, a[3], size_t(batch) * m * n, "c"));
    return undef(env);
  });
}
// biasActivation(y, rows, channels, bias|null, act, alpha)
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[6];
    args(env, info, a);
    int64_t rows;
    int32_t c, act;
    double alpha;
    CHECK_NAPI(napi_get_value_int64(env, a[1], &rows));
    CHECK_NAPI(napi_get_value_int32(env, a[2], &c));
    CHECK_NAPI(napi_get_value_int32(env, a[4], &act));
    CHECK_NAPI(napi_get_value_double(env, a[5], &alpha));
    napi_valuetype bt;
    CHECK_NAPI(napi_typeof(env, a[3], &bt));
    const float* bias = (bt == napi_null || bt == napi_undefined) ? nullptr : f32(env, a[3], size_t(c), "bias");
    gsn::biasActivation(f32(env, a[0], size_t(rows) * c, "y"), rows, c, bias, act, float(alpha));
    return undef(env);
  });
}
// binary(op, geom Int32Array[12] = dims4, aStrides4, bStrides4, a, b, out)
napi_value Binary(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    int32_t op;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &op));
    const int32_t* g = i32(env, a[1], 12, "geom");
    size_t need = 1, needA = 1, needB = 1;
    for (int i = 0; i < 4; ++i) {
      if (g[i] < 1) throw Fail{"binary: bad dims"};
      need *= size_t(g[i]);
      needA += size_t(g[4 + i]) * size_t(g[i] - 1);
      needB += size_t(g[8 + i]) * size_t(g[i] - 1);
    }
    gsn::binary(op, g, g + 4, g + 8, f32(env, a[2], needA, "a"), f32(env, a[3], needB, "b"), f32(env, a[4], need, "out"));
    return undef(env);
  });
}
// compare(op, geom Int32Array[12], a, b, out Uint8Array)
napi_value Compare(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    int32_t op;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &op));
    const int32_t* g = i32(env, a[1], 12, "geom");
    size_t need = 1, needA = 1, needB = 1;
    for (int i = 0; i < 4; ++i) {
      if (g[i] < 1) throw Fail{"compare: bad dims"};
      need *= size_t(g[i]);
      needA += size_t(g[4 + i]) * size_t(g[i] - 1);
      needB += size_t(g[8 + i]) * size_t(g[i] - 1);
    }
    size_t outLen = 0;
    uint8_t* out = typedArray<uint8_t>(env, a[4], napi_uint8_array, &outLen, "out");
    if (outLen < need) throw Fail{"compare: output too short"};
    gsn::compare(op, g, g + 4, g + 8, f32(env, a[2], needA, "a"), f32(env, a[3], needB, "b"), out);
    return undef(env);
  });
}
// select(cond Uint8Array, t, e, out)
napi_value Select(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    size_t n = 0;
    const uint8_t* c = typedArray<uint8_t>(env, a[0], napi_uint8_array, &n, "condition");
    gsn::select(c, f32(env, a[1], n, "t"), f32(env, a[2], n, "e"), f32(env, a[3], n, "out"), int64_t(n));
    return undef(env);
  });
}
// avgPool(geom Int32Array[10], x, y) / avgPoolGrad(geom, dy, dx)
napi_value AvgPool(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    const int32_t* g = i32(env, a[0], 10, "geom");
    const size_t in = size_t(g[0]) * g[1] * g[2] * g[3], out = size_t(g[0]) * g[8] * g[9] * g[3];
    if ((g[8] - 1) * g[6] + g[4] > g[1] || (g[9] - 1) * g[7] + g[5] > g[2]) throw Fail{"avgPool: window outside the input"};
    gsn::avgPool(g, f32(env, a[1], in, "x"), f32(env, a[2], out, "y"));
    return undef(env);
  });
}
napi_value AvgPoolGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    const int32_t* g = i32(env, a[0], 10, "geom");
    const size_t in = size_t(g[0]) * g[1] * g[2] * g[3], out = size_t(g[0]) * g[8] * g[9] * g[3];
    if ((g[8] - 1) * g[6] + g[4] > g[1] || (g[9] - 1) * g[7] + g[5] > g[2]) throw Fail{"avgPoolGrad: window outside the input"};
    gsn::avgPoolGrad(g, f32(env, a[1], out, "dy"), f32(env, a[2], in, "dx"));
    return undef(env);
  });
}
// maxPool(geom Int32Array[12], x, y)
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    const int32_t* g = i32(env, a[0], 12, "geom");
    const size_t in = size_t(g[0]) * g[1] * g[2] * g[3], out = size_t(g[0]) * g[10] * g[11] * g[3];
    gsn::maxPool(g, f32(env, a[1], in, "x"), f32(env, a[2], out, "y"));
    return undef(env);
  });
}
// concat(outer, inputs Float32Array[], out): each input has outer rows of equal length.
napi_value Concat(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    int64_t outer;
    CHECK_NAPI(napi_get_value_int64(env, a[0], &outer));
    if (outer < 1) throw Fail{"concat: bad outer size"};
    uint32_t k;
    CHECK_NAPI(napi_get_array_length(env, a[1], &k));
    std::vector<const float*> ptrs(k);
    std::vector<int64_t> lens(k);
    size_t total = 0;
    for (uint32_t i = 0; i < k; ++i) {
      napi_value el;
      CHECK_NAPI(napi_get_element(env, a[1], i, &el));
      size_t len = 0;
      ptrs[i] = typedArray<float>(env, el, napi_float32_array, &len, "input");
      if (len % size_t(outer) != 0) throw Fail{"concat: input length not a multiple of the outer size"};
      lens[i] = int64_t(len) / outer;
      total += len;
    }
    gsn::concatRows(outer, int(k), ptrs.data(), lens.data(), f32(env, a[2], total, "out"));
    return undef(env);
  });
}
// dims Int32Array [rank, then perDim entries per dim]: its rank (1 to 16, else an error naming `fn`) and entries.
const int32_t* rankDims(napi_env env, napi_value v, int perDim, const char* fn, int* rank) {
  const int32_t* d = i32(env, v, 1, "dims");
  if (d[0] < 1 || d[0] > 16) throw Fail{std::string(fn) + ": rank must be 1 to 16"};
  *rank = d[0];
  return i32(env, v, size_t(1 + perDim * d[0]), "dims");
}
// copyBox(dims Int32Array [rank, shape ×rank, begin ×rank, size ×rank, dstShape ×rank, dstBegin ×rank], src, dst).
napi_value CopyBox(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    int rank = 0;
    const int32_t* d = rankDims(env, a[0], 5, "copyBox", &rank);
    int64_t v[5][16];
    size_t sTotal = 1, dTotal = 1;
    for (int k = 0; k < rank; ++k) {
      for (int q = 0; q < 5; ++q) v[q][k] = d[1 + q * rank + k];
      const int64_t sh = v[0][k], b = v[1][k], sz = v[2][k], dsh = v[3][k], db = v[4][k];
      if (sh < 0 || b < 0 || sz < 0 || dsh < 0 || db < 0 || b + sz > sh || db + sz > dsh) throw Fail{"copyBox: box outside the arrays"};
      sTotal *= size_t(sh);
      dTotal *= size_t(dsh);
    }
    gsn::copyBox(rank, v[0], v[1], v[2], v[3], v[4], f32(env, a[1], sTotal, "src"), f32(env, a[2], dTotal, "dst"));
    return undef(env);
  });
}
// affineGridPlan(dims Int32Array [n, h, w, outH, outW], theta Float64Array [n·6], idx Int32Array [4·n·outH·outW], wt Float32Array [same]).
napi_value AffineGridPlan(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const int32_t* d = i32(env, a[0], 5, "dims");
    for (int k = 0; k < 5; ++k)
      if (d[k] < 1) throw Fail{"affineGridPlan: dims must be positive"};
    const size_t rows = size_t(d[0]) * d[3] * d[4];
    if (size_t(d[0]) * d[1] * d[2] > size_t(INT32_MAX)) throw Fail{"affineGridPlan: input too large for int32 row indices"};
    size_t lt = 0, li = 0;
    const double* theta = typedArray<double>(env, a[1], napi_float64_array, &lt, "theta");
    if (lt < size_t(d[0]) * 6) throw Fail{"affineGridPlan: theta too short"};
    int32_t* idx = typedArray<int32_t>(env, a[2], napi_int32_array, &li, "idx");
    if (li < 4 * rows) throw Fail{"affineGridPlan: idx too short"};
    gsn::affineGridPlan(d[0], d[1], d[2], d[3], d[4], theta, idx, f32(env, a[3], 4 * rows, "wt"));
    return undef(env);
  });
}
// sampleRows(dims Int32Array [outRows, inRows, c, adjoint], idx Int32Array [4·outRows], wt Float32Array [4·outRows], src, out).
napi_value SampleRows(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[5];
    args(env, info, a);
    const int32_t* d = i32(env, a[0], 4, "dims");
    const int64_t outRows = d[0], inRows = d[1], c = d[2];
    const bool adjoint = d[3] != 0;
    if (outRows < 0 || inRows < 1 || c < 1) throw Fail{"sampleRows: bad dims"};
    size_t li = 0;
    const int32_t* idx = typedArray<int32_t>(env, a[1], napi_int32_array, &li, "idx");
    if (li < size_t(4 * outRows)) throw Fail{"sampleRows: idx too short"};
    for (size_t i = 0; i < size_t(4 * outRows); ++i)
      if (idx[i] < 0 || idx[i] >= inRows) throw Fail{"sampleRows: row index out of range"};
    const float* wt = f32(env, a[2], size_t(4 * outRows), "wt");
    const float* src = f32(env, a[3], size_t((adjoint ? outRows : inRows) * c), "src");
    gsn::sampleRows(outRows, inRows, c, idx, wt, src, adjoint, f32(env, a[4], size_t((adjoint ? inRows : outRows) * c), "out"));
    return undef(env);
  });
}
// transpose(dims Int32Array [rank, len ×rank, step ×rank], x, y): y = x walked at the strides (merged dims).
napi_value Transpose(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    int rank = 0;
    const int32_t* d = rankDims(env, a[0], 2, "transpose", &rank);
    int64_t len[16], step[16];
    size_t total = 1, span = 1;
    for (int k = 0; k < rank; ++k) {
      len[k] = d[1 + k];
      step[k] = d[1 + rank + k];
      if (len[k] < 1 || step[k] < 0) throw Fail{"transpose: bad dims"};
      total *= size_t(len[k]);
      span += size_t(len[k] - 1) * size_t(step[k]);
    }
    gsn::transpose(rank, len, step, f32(env, a[1], span, "x"), f32(env, a[2], total, "y"));
    return undef(env);
  });
}
// sumSquares(arrays Float32Array[], out Float64Array): out[i] = Σ arrays[i]² in float64.
napi_value SumSquares(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[2];
    args(env, info, a);
    uint32_t k;
    CHECK_NAPI(napi_get_array_length(env, a[0], &k));
    std::vector<const float*> ptrs(k);
    std::vector<int64_t> lens(k);
    for (uint32_t i = 0; i < k; ++i) {
      napi_value el;
      CHECK_NAPI(napi_get_element(env, a[0], i, &el));
      size_t len = 0;
      ptrs[i] = typedArray<float>(env, el, napi_float32_array, &len, "array");
      lens[i] = int64_t(len);
    }
    size_t outLen = 0;
    double* out = typedArray<double>(env, a[1], napi_float64_array, &outLen, "out");
    if (outLen < k) throw Fail{"sumSquares: out shorter than the array list"};
    gsn::sumSquares(int(k), ptrs.data(), lens.data(), out);
    return undef(env);
  });
}
// leakyReluGrad(dy, x, alpha, dx): dx = x > 0 ? dy : alpha·dy.
napi_value LeakyReluGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    double alpha;
    CHECK_NAPI(napi_get_value_double(env, a[2], &alpha));
    size_t n = 0;
    const float* dy = typedArray<float>(env, a[0], napi_float32_array, &n, "dy");
    gsn::leakyReluGrad(dy, f32(env, a[1], n, "x"), float(alpha), f32(env, a[3], n, "dx"), int64_t(n));
    return undef(env);
  });
}
// split(outer, x, outputs Float32Array[]): the inverse of concat; each output holds `outer` rows.
napi_value Split(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    int64_t outer;
    CHECK_NAPI(napi_get_value_int64(env, a[0], &outer));
    if (outer < 1) throw Fail{"split: bad outer size"};
    uint32_t k;
    CHECK_NAPI(napi_get_array_length(env, a[2], &k));
    std::vector<float*> ptrs(k);
    std::vector<int64_t> lens(k);
    size_t total = 0;
    for (uint32_t i = 0; i < k; ++i) {
      napi_value el;
      CHECK_NAPI(napi_get_element(env, a[2], i, &el));
      size_t len = 0;
      ptrs[i] = typedArray<float>(env, el, napi_float32_array, &len, "output");
      if (len % size_t(outer) != 0) throw Fail{"split: output length not a multiple of the outer size"};
      lens[i] = int64_t(len) / outer;
      total += len;
    }
    gsn::splitRows(outer, int(k), f32(env, a[1], total, "x"), ptrs.data(), lens.data());
    return undef(env);
  });
}
// logicalNot(x Uint8Array, y Uint8Array)
napi_value LogicalNot(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[2];
    args(env, info, a);
    size_t n = 0, m = 0;
    const uint8_t* x = typedArray<uint8_t>(env, a[0], napi_uint8_array, &n, "x");
    uint8_t* y = typedArray<uint8_t>(env, a[1], napi_uint8_array, &m, "y");
    if (m < n) throw Fail{"logicalNot: output too short"};
    gsn::logicalNot(x, y, int64_t(n));
    return undef(env);
  });
}
// softmax(cols, x, y): softmax over the last axis of x [rows, cols].
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[3];
    args(env, info, a);
    int32_t cols;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &cols));
    if (cols < 1) throw Fail{"softmax: cols must be positive"};
    size_t n = 0;
    const float* x = typedArray<float>(env, a[1], napi_float32_array, &n, "x");
    if (n % size_t(cols) != 0) throw Fail{"softmax: x is not [rows, cols]"};
    gsn::softmaxRows(x, f32(env, a[2], n, "y"), int64_t(n / size_t(cols)), cols);
    return undef(env);
  });
}
// unary(op, x, y, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    int32_t op;
    double alpha;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &op));
    CHECK_NAPI(napi_get_value_double(env, a[3], &alpha));
    size_t n = 0;
    const float* x = typedArray<float>(env, a[1], napi_float32_array, &n, "x");
    gsn::unary(op, x, f32(env, a[2], n, "y"), int64_t(n), float(alpha));
    return undef(env);
  });
}
// reduce(op, dims Int32Array[outer, mid, inner], x, y)
napi_value Reduce(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    int32_t op;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &op));
    const int32_t* d = i32(env, a[1], 3, "dims");
    if (d[1] < 1) throw Fail{"reduce: empty reduction"};
    gsn::reduce(op, d[0], d[1], d[2], f32(env, a[2], size_t(d[0]) * d[1] * d[2], "x"), f32(env, a[3], size_t(d[0]) * d[2], "y"));
    return undef(env);
  });
}
// batchNormTrain(x, channels, gamma, beta, eps, relu, y, mean, variance): x and y [rows, channels].
napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[9];
    args(env, info, a);
    int32_t c;
    double eps;
    bool relu;
    CHECK_NAPI(napi_get_value_int32(env, a[1], &c));
    CHECK_NAPI(napi_get_value_double(env, a[4], &eps));
    CHECK_NAPI(napi_get_value_bool(env, a[5], &relu));
    if (c < 1) throw Fail{"batchNormTrain: channels must be positive"};
    size_t n = 0;
    const float* x = typedArray<float>(env, a[0], napi_float32_array, &n, "x");
    if (n % size_t(c) != 0 || n == 0) throw Fail{"batchNormTrain: x is not [rows, channels]"};
    gsn::batchNormTrain(x, int64_t(n / size_t(c)), c, f32(env, a[2], size_t(c), "gamma"), f32(env, a[3], size_t(c), "beta"),
                        float(eps), relu, f32(env, a[6], n, "y"), f32(env, a[7], size_t(c), "mean"),
                        f32(env, a[8], size_t(c), "variance"));
    return undef(env);
  });
}
// batchNormTrainGrad(dy, x, y | null, channels, gamma, mean, variance, eps, dx, dgamma, dbeta, dmean | null, dvar | null);
// y given: ReLU mask y > 0; dmean/dvar: gradients reaching the mean and variance outputs.
napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[13];
    args(env, info, a);
    int32_t c;
    double eps;
    CHECK_NAPI(napi_get_value_int32(env, a[3], &c));
    CHECK_NAPI(napi_get_value_double(env, a[7], &eps));
    if (c < 1) throw Fail{"batchNormTrainGrad: channels must be positive"};
    size_t n = 0;
    const float* dy = typedArray<float>(env, a[0], napi_float32_array, &n, "dy");
    if (n % size_t(c) != 0 || n == 0) throw Fail{"batchNormTrainGrad: dy is not [rows, channels]"};
    napi_valuetype yt;
    CHECK_NAPI(napi_typeof(env, a[2], &yt));
    const float* y = yt == napi_null || yt == napi_undefined ? nullptr : f32(env, a[2], n, "y");
    auto optional = [&](napi_value v, const char* what) -> const float* {
      napi_valuetype t;
      CHECK_NAPI(napi_typeof(env, v, &t));
      return t == napi_null || t == napi_undefined ? nullptr : f32(env, v, size_t(c), what);
    };
    gsn::batchNormTrainGrad(dy, f32(env, a[1], n, "x"), y, int64_t(n / size_t(c)), c, f32(env, a[4], size_t(c), "gamma"),
                            f32(env, a[5], size_t(c), "mean"), f32(env, a[6], size_t(c), "variance"),
                            optional(a[11], "dmean"), optional(a[12], "dvar"), float(eps),
                            f32(env, a[8], n, "dx"), f32(env, a[9], size_t(c), "dgamma"), f32(env, a[10], size_t(c), "dbeta"));
    return undef(env);
  });
}
// resize(kind, dims Int32Array[n,h,w,c,nh,nw], rowLo, rowHi, rowFrac, colLo, colHi, colFrac, src, dst):
// kind 0 bilinear, 1 bilinear gradient (src = dy, dst = dx), 2 nearest, 3 nearest gradient; for nearest,
// rowLo/colLo are the source indices and the other tables are ignored.
napi_value Resize(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[10];
    args(env, info, a);
    int32_t kind;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &kind));
    const int32_t* d = i32(env, a[1], 6, "dims");
    for (int i = 0; i < 6; ++i)
      if (d[i] < 1) throw Fail{"resize: empty dimension"};
    const size_t in = size_t(d[0]) * d[1] * d[2] * d[3], out = size_t(d[0]) * d[4] * d[5] * d[3];
    const int32_t* rlo = i32(env, a[2], size_t(d[4]), "rowLo");
    const int32_t* clo = i32(env, a[5], size_t(d[5]), "colLo");
    for (int i = 0; i < d[4]; ++i)
      if (rlo[i] < 0 || rlo[i] >= d[1]) throw Fail{"resize: row index out of range"};
    for (int i = 0; i < d[5]; ++i)
      if (clo[i] < 0 || clo[i] >= d[2]) throw Fail{"resize: column index out of range"};
    if (kind >= 2) {
      if (kind == 2) gsn::resizeNearest(d, rlo, clo, f32(env, a[8], in, "x"), f32(env, a[9], out, "y"));
      else gsn::resizeNearestGrad(d, rlo, clo, f32(env, a[8], out, "dy"), f32(env, a[9], in, "dx"));
      return undef(env);
    }
    const int32_t* rhi = i32(env, a[3], size_t(d[4]), "rowHi");
    const int32_t* chi = i32(env, a[6], size_t(d[5]), "colHi");
    for (int i = 0; i < d[4]; ++i)
      if (rhi[i] < 0 || rhi[i] >= d[1]) throw Fail{"resize: row index out of range"};
    for (int i = 0; i < d[5]; ++i)
      if (chi[i] < 0 || chi[i] >= d[2]) throw Fail{"resize: column index out of range"};
    size_t lr = 0, lc = 0;
    const double* rf = typedArray<double>(env, a[4], napi_float64_array, &lr, "rowFrac");
    const double* cf = typedArray<double>(env, a[7], napi_float64_array, &lc, "colFrac");
    if (lr < size_t(d[4]) || lc < size_t(d[5])) throw Fail{"resize: fraction tables too short"};
    if (kind == 0) gsn::resizeBilinear(d, rlo, rhi, rf, clo, chi, cf, f32(env, a[8], in, "x"), f32(env, a[9], out, "y"));
    else gsn::resizeBilinearGrad(d, rlo, rhi, rf, clo, chi, cf, f32(env, a[8], out, "dy"), f32(env, a[9], in, "dx"));
    return undef(env);
  });
}
// adam(x, g, m, v, scalars Float32Array[8], xOut, mOut, vOut)
napi_value Adam(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[8];
    args(env, info, a);
    size_t n = 0;
    const float* x = typedArray<float>(env, a[0], napi_float32_array, &n, "x");
    gsn::adam(x, f32(env, a[1], n, "g"), f32(env, a[2], n, "m"), f32(env, a[3], n, "v"), int64_t(n), f32(env, a[4], 8, "scalars"),
              f32(env, a[5], n, "xOut"), f32(env, a[6], n, "mOut"), f32(env, a[7], n, "vOut"));
    return undef(env);
  });
}
// maxPoolGrad(geom Int32Array[12], dy, x, dx)
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const int32_t* g = i32(env, a[0], 12, "geom");
    const size_t in = size_t(g[0]) * g[1] * g[2] * g[3], out = size_t(g[0]) * g[10] * g[11] * g[3];
    gsn::maxPoolGrad(g, f32(env, a[1], out, "dy"), f32(env, a[2], in, "x"), f32(env, a[3], in, "dx"));
    return undef(env);
  });
}
// depthwiseConv(geom Int32Array[14], x, filter, y)
napi_value DepthwiseConv(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[4];
    args(env, info, a);
    const int32_t* g = i32(env, a[0], 14, "geom");
    const size_t in = size_t(g[0]) * g[1] * g[2] * g[3], out = size_t(g[0]) * g[12] * g[13] * g[3];
    gsn::depthwiseConv(g, f32(env, a[1], in, "x"), f32(env, a[2], size_t(g[4]) * g[5] * g[3], "filter"), f32(env, a[3], out, "y"));
    return undef(env);
  });
}
// setThreads(n) -> n
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[1];
    args(env, info, a);
    int32_t t;
    CHECK_NAPI(napi_get_value_int32(env, a[0], &t));
    gsn::setThreads(t);
    napi_value r;
    CHECK_NAPI(napi_create_int32(env, gsn::threads(), &r));
    return r;
  });
}

// gemm() -> "oneDNN" | "OpenBLAS"
napi_value GemmName(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_string_utf8(env, gsn::gemmName(), NAPI_AUTO_LENGTH, &r);
  return r;
}

// A mode read and switched from JS: `get()` after `set(arg)` when a string argument is given.
napi_value modeSwitch(napi_env env, napi_callback_info info, const char* (*get)(), const char* (*set)(const char*)) {
  return guard(env, [&] {
    size_t argc = 1;
    napi_value a[1];
    CHECK_NAPI(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
    napi_valuetype t = napi_undefined;
    if (argc >= 1) CHECK_NAPI(napi_typeof(env, a[0], &t));
    const char* name = get();
    if (t == napi_string) {
      char buf[16];
      size_t len = 0;
      CHECK_NAPI(napi_get_value_string_utf8(env, a[0], buf, sizeof buf, &len));
      name = set(buf);
    }
    napi_value r;
    CHECK_NAPI(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &r));
    return r;
  });
}

// conv(path?) -> "oneDNN" | "oneDNN-all" | "im2col": the convolution path in effect, after
// switching to `path` when given (the oneDNN ones only take when built with oneDNN).
napi_value ConvPath(napi_env env, napi_callback_info info) { return modeSwitch(env, info, gsn::convName, gsn::setConvPath); }

// winograd(mode?) -> "off" | "auto" | "all": when Winograd F(2x2, 3x3) replaces the path for
// stride-1 3x3 convolutions (all three kernels), after switching to `mode` when given ("off" on CPUs without AVX2).
napi_value WinogradMode(napi_env env, napi_callback_info info) {
  return modeSwitch(env, info, gsn::winogradMode, gsn::setWinogradMode);
}

// convImpl(geom, kind) -> "winograd", oneDNN's implementation name for that geometry (kind 0 forward,
// 1 backward data, 2 backward weights), or "im2col".
napi_value ConvImpl(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[2];
    args(env, info, a);
    const auto g = geom(i32(env, a[0], 15, "geom"));
    int32_t kind;
    CHECK_NAPI(napi_get_value_int32(env, a[1], &kind));
    if (kind < 0 || kind > 2) throw Fail{"convImpl: kind must be 0, 1 or 2"};
    napi_value r;
    CHECK_NAPI(napi_create_string_utf8(env, gsn::convImpl(g, kind), NAPI_AUTO_LENGTH, &r));
    return r;
  });
}

// ---------------------------------------------------------------- output arrays
// detach(arrayBuffer): the JS array pool (src/backend/native/pool.ts) hands over each
// output array it will not keep, once no tensor refers to it. Detaching drops V8's only
// reference to the backing store, which is freed at once, so malloc reuses the memory for
// the next array of any size instead of it waiting for the garbage collector; every view
// of a detached buffer reads as length 0, which the kernels above reject. Returns false
// when the buffer cannot be detached.
napi_value Detach(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    napi_value a[1];
    args(env, info, a);
    bool is = false;
    CHECK_NAPI(napi_is_arraybuffer(env, a[0], &is));
    if (!is) throw Fail{"detach: expected an ArrayBuffer"};
    bool done = napi_detach_arraybuffer(env, a[0]) == napi_ok;
    if (!done) {
      const napi_extended_error_info* e;
      napi_get_last_error_info(env, &e);  // clears the pending napi error
    }
    napi_value r;
    CHECK_NAPI(napi_get_boolean(env, done, &r));
    return r;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasActivation", nullptr, BiasActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwiseConv", nullptr, DepthwiseConv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"compare", nullptr, Compare, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, Select, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool", nullptr, AvgPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPoolGrad", nullptr, AvgPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"concat", nullptr, Concat, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"leakyReluGrad", nullptr, LeakyReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"split", nullptr, Split, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logicalNot", nullptr, LogicalNot, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrain", nullptr, BatchNormTrain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, BatchNormTrainGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resize", nullptr, Resize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyBox", nullptr, CopyBox, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"affineGridPlan", nullptr, AffineGridPlan, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sampleRows", nullptr, SampleRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, GemmName, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv", nullptr, ConvPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"winograd", nullptr, WinogradMode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convImpl", nullptr, ConvImpl, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"detach", nullptr, Detach, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  gsn::setThreads(2);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

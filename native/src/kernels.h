// Native CPU kernels of gan-segmenter: NHWC convolutions via im2col + OpenBLAS SGEMM,
// and a few fused element-wise loops. All functions are synchronous and thread-safe
// for distinct outputs; parallelism: OpenBLAS threads + a small std::thread split.
#pragma once
#include <cstdint>
#include <functional>

namespace gsn {

/** Geometry of one 2-D convolution, NHWC input, HWIO filter. */
struct ConvGeom {
  int n, h, w, c;        // input
  int kh, kw, oc;        // filter
  int sh, sw, dh, dw;    // strides, dilations
  int padTop, padLeft;   // padding before
  int oh, ow;            // output
};

void setThreads(int t);
int threads();
/** Run f(begin, end) over [0, total) split across the worker threads. */
void parallelFor(int64_t total, int64_t minPerThread, const std::function<void(int64_t, int64_t)>& f);

void conv2dForward(const ConvGeom& g, const float* x, const float* w, float* y);
void conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx);
void conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw);

/** C[b] = op(A[b]) * op(B[b]); aStride/bStride 0 broadcasts. Row-major. */
void batchMatMul(int batch, int m, int n, int k, bool transA, bool transB, const float* a, int64_t aStride,
                 const float* b, int64_t bStride, float* c);

}  // namespace gsn

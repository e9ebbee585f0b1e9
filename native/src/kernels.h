// Native CPU kernels of gan-segmenter: NHWC convolutions via oneDNN's convolution primitives
// (when built with oneDNN) or im2col + SGEMM (oneDNN's sgemm or OpenBLAS),
// and a few fused element-wise loops. All functions are synchronous and thread-safe
// for distinct outputs; parallelism: OpenBLAS / oneDNN (OpenMP) threads + a small std::thread split.
#pragma once
#include <signal.h>

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
/**
 * While alive, the calling thread defers asynchronous signals (its old mask comes back after).
 * oneDNN 2.x's JIT SGEMM kernels (jit_avx512_common_gemm_f32, jit_avx_gemm_f32; dnnl_sgemm and
 * oneDNN's gemm-based primitives) point rsp into a heap buffer while they run
 * (uxlfoundation/oneDNN#4845, fixed in oneDNN 3.11 by #4855/#4859): a signal handled meanwhile
 * on that thread (SIGPROF of `node --cpu-prof`, SIGINT, SIGCHLD, ...) gets its frame pushed onto
 * the heap below that pointer and corrupts malloc's chunks. Every call into oneDNN runs inside
 * one; the OpenMP threads oneDNN starts inside one inherit the mask and never take such a
 * signal. A deferred signal is handled when the region ends. Synchronous fault signals (SEGV,
 * BUS, FPE, ILL, TRAP, SYS) are not deferred: blocked, they would kill the process.
 */
class SignalsDeferred {
 public:
  SignalsDeferred();
  ~SignalsDeferred();
  SignalsDeferred(const SignalsDeferred&) = delete;
  SignalsDeferred& operator=(const SignalsDeferred&) = delete;

 private:
  sigset_t old_;
};

/** Run f(begin, end) over [0, total) split across the worker threads. */
void parallelFor(int64_t total, int64_t minPerThread, const std::function<void(int64_t, int64_t)>& f);

void conv2dForward(const ConvGeom& g, const float* x, const float* w, float* y);
void conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx);
void conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw);
/** The convolution path the three functions above take: "oneDNN" (oneDNN's convolution
 *  primitives, im2col for the geometries it does faster), "oneDNN-all" (oneDNN wherever it can)
 *  or "im2col" (im2col + SGEMM; the only one without oneDNN). Set by GAN_SEGMENTER_CONV. */
const char* convName();
/** Switch path (one of the names above, any case); returns the path in effect. */
const char* setConvPath(const char* name);
/** The implementation a geometry gets: "winograd", oneDNN's name for it (kind 0 forward,
 *  1 backward data, 2 backward weights), or "im2col". */
const char* convImpl(const ConvGeom& g, int kind);

/** Winograd F(2x2, 3x3) for stride-1 3x3 convolutions (conv_winograd.cc): forward, backward
 *  data and backward weights. Available on x86-64 CPUs with AVX2 + FMA; fits: 3x3, stride 1,
 *  dilation 1. */
bool winogradAvailable();
bool winogradFits(const ConvGeom& g);
void winogradForward(const ConvGeom& g, const float* x, const float* w, float* y);
void winogradBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx);
void winogradBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw);
/** When the three functions above run instead of the path: "off", "auto" (the geometries where
 *  Winograd measured faster; the default) or "all" (every geometry it fits). Set by
 *  GAN_SEGMENTER_WINOGRAD at load. */
const char* winogradMode();
/** Switch mode (one of the names above, any case); returns the mode in effect. */
const char* setWinogradMode(const char* name);

#ifdef GSN_DNNL
/** oneDNN convolution primitives (conv_dnnl.cc), kind as above: forward (a = x, b = filter,
 *  c = y), backward data (dy, filter, dx), backward weights (x, dy, dw). false: not done (a
 *  geometry im2col does faster unless `all`, or no primitive), use im2col. */
bool dnnlConv(int kind, const ConvGeom& g, const float* a, const float* b, float* c, bool all);
/** oneDNN's implementation name for what dnnlConv would run, "" for im2col. */
const char* dnnlConvImpl(const ConvGeom& g, int kind, bool all);
#endif

/** C[b] = op(A[b]) * op(B[b]); aStride/bStride 0 broadcasts. Row-major. */
void batchMatMul(int batch, int m, int n, int k, bool transA, bool transB, const float* a, int64_t aStride,
                 const float* b, int64_t bStride, float* c);

}  // namespace gsn

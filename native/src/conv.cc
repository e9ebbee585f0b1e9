#include "kernels.h"

#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace gsn {

static int gThreads = 2;

// oneDNN's sgemm (JIT AVX-512/AVX2 kernels), used when libdnnl.so.2 can be loaded at run time
// (Debian ships it with python3-torch as libdnnl2); otherwise OpenBLAS's cblas_sgemm.
// GAN_SEGMENTER_GEMM=openblas forces OpenBLAS.
typedef int (*DnnlSgemm)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                         float, float*, int64_t);
typedef void (*OmpSetThreads)(int);
struct Gemm {
  DnnlSgemm dnnl = nullptr;
  OmpSetThreads ompThreads = nullptr;
  Gemm() {
    const char* pick = std::getenv("GAN_SEGMENTER_GEMM");
    if (!(pick && std::strcmp(pick, "openblas") == 0)) {
      void* h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
      if (h) dnnl = reinterpret_cast<DnnlSgemm>(dlsym(h, "dnnl_sgemm"));
    }
    // oneDNN's OpenMP runtime: loaded with libdnnl.so.2 (dlopened above, or linked in when the
    // addon was built with oneDNN's convolutions), whichever SGEMM is picked.
    void* g = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (g) ompThreads = reinterpret_cast<OmpSetThreads>(dlsym(g, "omp_set_num_threads"));
  }
};
static Gemm& gemmLib() {
  static Gemm g;
  return g;
}
const char* gemmName() { return gemmLib().dnnl ? "oneDNN" : "OpenBLAS"; }

// Row-major C = alpha op(A) op(B) + beta C.
static void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  Gemm& g = gemmLib();
  // oneDNN pays a fixed cost per call (kernel generation, OpenMP fork); small products go to OpenBLAS.
  if (g.dnnl && double(m) * double(n) * double(k) >= double(1 << 22)) {
    SignalsDeferred deferred;  // its JIT kernels move rsp into the heap (see kernels.h)
    g.dnnl(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Small products: one thread (waking OpenBLAS's pool costs more than it saves).
  const bool small = gThreads > 1 && double(m) * double(n) * double(k) < double(1 << 20);
  if (small) openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.f,
              a, int(lda), b, int(ldb), beta, c, int(ldc));
  if (small) openblas_set_num_threads(gThreads);
}

SignalsDeferred::SignalsDeferred() {
  sigset_t s;
  sigfillset(&s);
  for (int sync : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&s, sync);
  pthread_sigmask(SIG_BLOCK, &s, &old_);
}
SignalsDeferred::~SignalsDeferred() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

void setThreads(int t) {
  gThreads = std::max(1, t);
  openblas_set_num_threads(gThreads);
  if (gemmLib().ompThreads) gemmLib().ompThreads(gThreads);
}
int threads() { return gThreads; }

// A persistent pool for parallelFor: starting and joining a std::thread per parallel region cost
// more than the work of a small kernel (a 16x16 conv ran at half speed on 2 threads). The ranges
// are the same as before and each is computed by the same function, so results do not change.
namespace {
struct Pool {
  std::mutex m;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  const std::function<void(int64_t, int64_t)>* job = nullptr;
  int64_t total = 0, per = 0;
  int parts = 0, next = 0, pending = 0;
  void ensure(int n) {
    while (static_cast<int>(workers.size()) < n) workers.emplace_back([this] { loop(); });
  }
  void loop();
};
// Never destroyed (threads blocked in wait at exit are fine; destroying them there is not).
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}
thread_local bool tInRegion = false;

void Pool::loop() {
  std::unique_lock<std::mutex> lk(m);
  for (;;) {
    wake.wait(lk, [this] { return next < parts; });
    const int i = next++;
    const auto* f = job;
    const int64_t b = i * per, e = std::min(total, b + per);
    lk.unlock();
    if (b < e) {
      tInRegion = true;
      (*f)(b, e);
      tInRegion = false;
    }
    lk.lock();
    if (--pending == 0) done.notify_one();
  }
}
}  // namespace

void parallelFor(int64_t total, int64_t minPerThread, const std::function<void(int64_t, int64_t)>& f) {
  int t = gThreads;
  if (minPerThread < 1) minPerThread = 1;
  // One thread, too little work, or a region inside a region (its ranges are independent): inline.
  if (t <= 1 || total < 2 * minPerThread || tInRegion) {
    f(0, total);
    return;
  }
  t = static_cast<int>(std::min<int64_t>(t, total / minPerThread));
  const int64_t per = (total + t - 1) / t;
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lk(p.m);
    p.ensure(t - 1);
    p.job = &f;
    p.total = total;
    p.per = per;
    p.next = 1;
    p.pending = t - 1;
    p.parts = t;
  }
  p.wake.notify_all();
  tInRegion = true;
  f(0, std::min(total, per));
  tInRegion = false;
  std::unique_lock<std::mutex> lk(p.m);
  p.done.wait(lk, [&p] { return p.pending == 0; });
  p.parts = 0;
  p.next = 0;
  p.job = nullptr;
}

// Scratch buffer for im2col columns, reused across calls (the addon runs on one JS thread).
static std::vector<float>& scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) {
    buf.clear();
    buf.shrink_to_fit();
    buf.resize(n);
  }
  return buf;
}
// Keep the scratch from growing without bound: ~16 M floats (64 MB) per chunk at most.
static const int64_t kChunkFloats = int64_t(1) << 24;

static inline bool isPointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.padTop == 0 && g.padLeft == 0 && g.oh == g.h && g.ow == g.w;
}

// Rows [r0, r1) of the column matrix (row = output pixel n*oh*ow + oy*ow + ox), K = kh*kw*c.
static void im2col(const ConvGeom& g, const float* x, int64_t r0, int64_t r1, float* cols) {
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t hw = int64_t(g.oh) * g.ow;
  parallelFor(r1 - r0, std::max<int64_t>(16, (int64_t(1) << 16) / std::max<int64_t>(1, K)), [&](int64_t b, int64_t e) {
    for (int64_t r = r0 + b; r < r0 + e; ++r) {
      const int64_t n = r / hw, rem = r % hw;
      const int oy = int(rem / g.ow), ox = int(rem % g.ow);
      float* dst = cols + (r - r0) * K;
      const float* xn = x + n * int64_t(g.h) * g.w * g.c;
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = oy * g.sh - g.padTop + ky * g.dh;
        if (iy < 0 || iy >= g.h) {
          std::memset(dst, 0, sizeof(float) * g.kw * g.c);
          dst += g.kw * g.c;
          continue;
        }
        const float* xrow = xn + int64_t(iy) * g.w * g.c;
        for (int kx = 0; kx < g.kw; ++kx) {
          const int ix = ox * g.sw - g.padLeft + kx * g.dw;
          if (ix < 0 || ix >= g.w) std::memset(dst, 0, sizeof(float) * g.c);
          else std::memcpy(dst, xrow + int64_t(ix) * g.c, sizeof(float) * g.c);
          dst += g.c;
        }
      }
    }
  });
}

// Scatter-add rows [r0, r1) of the column gradient into dx. Rows of different images never
// collide, so the split is by image when the chunk holds more than one.
static void col2im(const ConvGeom& g, const float* cols, int64_t r0, int64_t r1, float* dx) {
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t hw = int64_t(g.oh) * g.ow;
  auto rows = [&](int64_t a, int64_t b) {
    for (int64_t r = a; r < b; ++r) {
      const int64_t n = r / hw, rem = r % hw;
      const int oy = int(rem / g.ow), ox = int(rem % g.ow);
      const float* src = cols + (r - r0) * K;
      float* dn = dx + n * int64_t(g.h) * g.w * g.c;
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = oy * g.sh - g.padTop + ky * g.dh;
        if (iy < 0 || iy >= g.h) {
          src += g.kw * g.c;
          continue;
        }
        float* drow = dn + int64_t(iy) * g.w * g.c;
        for (int kx = 0; kx < g.kw; ++kx) {
          const int ix = ox * g.sw - g.padLeft + kx * g.dw;
          if (ix >= 0 && ix < g.w) {
            float* d = drow + int64_t(ix) * g.c;
            for (int ci = 0; ci < g.c; ++ci) d[ci] += src[ci];
          }
          src += g.c;
        }
      }
    }
  };
  const int64_t n0 = r0 / hw, n1 = (r1 + hw - 1) / hw;
  if (n1 - n0 >= 2 && r0 % hw == 0 && r1 % hw == 0) {
    parallelFor(n1 - n0, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, hw * K)), [&](int64_t b, int64_t e) { rows(r0 + b * hw, std::min(r1, r0 + e * hw)); });
  } else {
    rows(r0, r1);
  }
}

// Chunk size in rows: whole images when they fit the scratch budget.
static int64_t chunkRows(const ConvGeom& g) {
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t hw = int64_t(g.oh) * g.ow;
  const int64_t M = hw * g.n;
  int64_t rows = std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(1, K));
  if (rows >= hw) rows = (rows / hw) * hw;
  return std::min(rows, M);
}

// Convolution path: 0 im2col, 1 oneDNN (its primitives, im2col where that is faster), 2 oneDNN
// wherever it can. Without oneDNN compiled in (binding.gyp found no oneDNN 2.x) always im2col.
// GAN_SEGMENTER_CONV=im2col | oneDNN-all picks another than the default.
static const char* const kConvNames[] = {"im2col", "oneDNN", "oneDNN-all"};
static int convMode(const char* name) {
  for (int i = 0; i < 3; ++i)
    if (strcasecmp(name, kConvNames[i]) == 0) return i;
  return -1;
}
#ifdef GSN_DNNL
static int gConv = [] {
  const char* v = std::getenv("GAN_SEGMENTER_CONV");
  const int m = v ? convMode(v) : -1;
  return m < 0 ? 1 : m;
}();
#else
static const int gConv = 0;
#endif

const char* convName() { return kConvNames[gConv]; }

// Winograd F(2x2, 3x3) (conv_winograd.cc): 0 off, 1 the geometries where it measured faster
// than the path above (default), 2 every stride-1 3x3 geometry. GAN_SEGMENTER_WINOGRAD=off|all.
static const char* const kWinoNames[] = {"off", "auto", "all"};
static int winoMode(const char* name) {
  for (int i = 0; i < 3; ++i)
    if (strcasecmp(name, kWinoNames[i]) == 0) return i;
  if (strcmp(name, "0") == 0) return 0;
  if (strcmp(name, "1") == 0) return 1;
  return -1;
}
static int gWino = [] {
  if (!winogradAvailable()) return 0;
  const char* v = std::getenv("GAN_SEGMENTER_WINOGRAD");
  const int m = v ? winoMode(v) : -1;
  return m < 0 ? 1 : m;
}();
const char* winogradMode() { return kWinoNames[gWino]; }
const char* setWinogradMode(const char* name) {
  const int m = winoMode(name);
  if (m >= 0 && winogradAvailable()) gWino = m;
  return winogradMode();
}

// Forward (kind 0), backward data (1) or backward weights (2) on Winograd? Where it measured
// faster than oneDNN / im2col (bench/winograd.ts, 2-core AVX2 EPYC, 1 and 2 threads): 16+
// channels both sides (with 8, the transforms cost more than the multiplies saved) and 64+ 2x2
// tiles (batch 8 at 4x4, 32 tiles: the per-call filter transform does; no faster or slower).
static bool useWinograd(const ConvGeom& g, int kind) {
  if (gWino == 0 || !winogradFits(g)) return false;
  if (gWino == 2) return true;
  // Backward data runs the forward routine on dy: its tiles cover the input.
  const int64_t tiles = kind == 1 ? int64_t(g.n) * ((g.h + 1) / 2) * ((g.w + 1) / 2) : int64_t(g.n) * ((g.oh + 1) / 2) * ((g.ow + 1) / 2);
  return std::min(g.c, g.oc) >= 16 && tiles >= 64;
}

const char* setConvPath(const char* name) {
#ifdef GSN_DNNL
  const int m = convMode(name);
  if (m >= 0) gConv = m;
#else
  (void)name;
#endif
  return convName();
}

const char* convImpl(const ConvGeom& g, int kind) {
  if (useWinograd(g, kind)) return "winograd";
#ifdef GSN_DNNL
  if (gConv > 0) {
    const char* impl = dnnlConvImpl(g, kind, gConv == 2);
    if (*impl) return impl;
  }
#else
  (void)g;
  (void)kind;
#endif
  return "im2col";
}

void conv2dForward(const ConvGeom& g, const float* x, const float* w, float* y) {
  if (useWinograd(g, 0)) return winogradForward(g, x, w, y);
#ifdef GSN_DNNL
  if (gConv > 0 && dnnlConv(0, g, x, w, y, gConv == 2)) return;
#endif
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t M = int64_t(g.n) * g.oh * g.ow;
  if (isPointwise(g)) {
    sgemm(false, false, M, g.oc, K, x, K, w, g.oc, 0.f, y, g.oc);
    return;
  }
  const int64_t R = chunkRows(g);
  float* cols = scratch(size_t(R * K)).data();
  for (int64_t r0 = 0; r0 < M; r0 += R) {
    const int64_t r1 = std::min(M, r0 + R);
    im2col(g, x, r0, r1, cols);
    sgemm(false, false, r1 - r0, g.oc, K, cols, K, w, g.oc, 0.f, y + r0 * g.oc, g.oc);
  }
}

void conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  if (useWinograd(g, 1)) return winogradBackpropInput(g, dy, w, dx);
#ifdef GSN_DNNL
  if (gConv > 0 && dnnlConv(1, g, dy, w, dx, gConv == 2)) return;
#endif
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t M = int64_t(g.n) * g.oh * g.ow;
  if (isPointwise(g)) {
    sgemm(false, true, M, K, g.oc, dy, g.oc, w, g.oc, 0.f, dx, K);
    return;
  }
  const int64_t total = int64_t(g.n) * g.h * g.w * g.c;
  parallelFor(total, 1 << 16, [&](int64_t b, int64_t e) { std::memset(dx + b, 0, sizeof(float) * (e - b)); });
  const int64_t R = chunkRows(g);
  float* cols = scratch(size_t(R * K)).data();
  for (int64_t r0 = 0; r0 < M; r0 += R) {
    const int64_t r1 = std::min(M, r0 + R);
    sgemm(false, true, r1 - r0, K, g.oc, dy + r0 * g.oc, g.oc, w, g.oc, 0.f, cols, K);
    col2im(g, cols, r0, r1, dx);
  }
}

void conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (useWinograd(g, 2)) return winogradBackpropFilter(g, x, dy, dw);
#ifdef GSN_DNNL
  if (gConv > 0 && dnnlConv(2, g, x, dy, dw, gConv == 2)) return;
#endif
  const int64_t K = int64_t(g.kh) * g.kw * g.c;
  const int64_t M = int64_t(g.n) * g.oh * g.ow;
  if (isPointwise(g)) {
    sgemm(true, false, K, g.oc, M, x, K, dy, g.oc, 0.f, dw, g.oc);
    return;
  }
  const int64_t R = chunkRows(g);
  float* cols = scratch(size_t(R * K)).data();
  for (int64_t r0 = 0; r0 < M; r0 += R) {
    const int64_t r1 = std::min(M, r0 + R);
    im2col(g, x, r0, r1, cols);
    sgemm(true, false, K, g.oc, r1 - r0, cols, K, dy + r0 * g.oc, g.oc, r0 == 0 ? 0.f : 1.f, dw, g.oc);
  }
}

void batchMatMul(int batch, int m, int n, int k, bool transA, bool transB, const float* a, int64_t aStride,
                 const float* b, int64_t bStride, float* c) {
  const int lda = transA ? m : k, ldb = transB ? k : n;
  for (int i = 0; i < batch; ++i) {
    sgemm(transA, transB, m, n, k, a + i * aStride, lda, b + i * bStride, ldb, 0.f, c + int64_t(i) * m * n, n);
  }
}

}  // namespace gsn

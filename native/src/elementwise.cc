// Element-wise, reduction and pooling-gradient loops for the tfjs kernels the profile showed
// dominating a UNet training step once the convolutions were native (see bench/README.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace gsn {

// Below about this many elements per thread a second thread costs more (waking it) than it saves.
static int64_t minParallel() {
  static const int64_t v = [] {
    const char* e = std::getenv("GAN_SEGMENTER_MIN_PARALLEL");
    const long long n = e ? std::atoll(e) : 0;
    return n > 0 ? int64_t(n) : int64_t(1) << 17;
  }();
  return v;
}
// The multi-part sums (channelSums, reduce's split) fix their partition with this: their rounding
// depends on it, so it does not move with the threshold above (small ones run their parts inline).
static const int64_t kSumPart = int64_t(1) << 17;
static inline int64_t per(int64_t unit) { return std::max<int64_t>(1, minParallel() / std::max<int64_t>(1, unit)); }

// y[i, c] = act(y[i, c] + bias[c]); act: 0 linear, 1 relu, 2 leaky relu (alpha), 3 relu6, 4 sigmoid.
void biasActivation(float* y, int64_t rows, int c, const float* bias, int act, float alpha) {
  parallelFor(rows, per(c), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      float* p = y + r * c;
      if (bias)
        for (int i = 0; i < c; ++i) p[i] += bias[i];
      switch (act) {
        case 1:
          for (int i = 0; i < c; ++i) p[i] = p[i] > 0.f ? p[i] : 0.f;
          break;
        case 2:
          for (int i = 0; i < c; ++i) p[i] = p[i] > 0.f ? p[i] : p[i] * alpha;
          break;
        case 3:
          for (int i = 0; i < c; ++i) p[i] = p[i] < 0.f ? 0.f : (p[i] > 6.f ? 6.f : p[i]);
          break;
        case 4:
          for (int i = 0; i < c; ++i) p[i] = 1.f / (1.f + std::exp(-p[i]));
          break;
        default:
          break;
      }
    }
  });
}

// ------------------------------------------------------------------ binary, broadcast over ≤ 4 dims

template <typename Op>
static void binaryRows(const int32_t* d, const int32_t* as, const int32_t* bs, const float* a, const float* b, float* o,
                       int64_t r0, int64_t r1, int64_t i0, int64_t i1, Op op) {
  // Rows are the flattened first three dims; [i0, i1) is the slice of the innermost dim.
  const int64_t d1 = d[1], d2 = d[2], d3 = d[3];
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t x0 = r / (d1 * d2), x1 = (r / d2) % d1, x2 = r % d2;
    const float* pa = a + x0 * as[0] + x1 * as[1] + x2 * as[2];
    const float* pb = b + x0 * bs[0] + x1 * bs[1] + x2 * bs[2];
    float* po = o + r * d3;
    if (as[3] == 1 && bs[3] == 1)
      for (int64_t i = i0; i < i1; ++i) po[i] = op(pa[i], pb[i]);
    else if (as[3] == 1) {
      const float vb = pb[0];
      for (int64_t i = i0; i < i1; ++i) po[i] = op(pa[i], vb);
    } else if (bs[3] == 1) {
      const float va = pa[0];
      for (int64_t i = i0; i < i1; ++i) po[i] = op(va, pb[i]);
    } else {
      const float v = op(pa[0], pb[0]);
      for (int64_t i = i0; i < i1; ++i) po[i] = v;
    }
  }
}

template <typename Op>
static void binaryOp(const int32_t* d, const int32_t* as, const int32_t* bs, const float* a, const float* b, float* o, Op op) {
  const int64_t rows = int64_t(d[0]) * d[1] * d[2], inner = d[3];
  if (rows >= 2 * threads()) {
    parallelFor(rows, per(inner),
                [&](int64_t r0, int64_t r1) { binaryRows(d, as, bs, a, b, o, r0, r1, 0, inner, op); });
  } else {
    for (int64_t r = 0; r < rows; ++r)
      parallelFor(inner, minParallel(), [&](int64_t i0, int64_t i1) { binaryRows(d, as, bs, a, b, o, r, r + 1, i0, i1, op); });
  }
}

// op: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference.
void binary(int op, const int32_t* dims, const int32_t* as, const int32_t* bs, const float* a, const float* b, float* o) {
  switch (op) {
    case 0: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x + y; });
    case 1: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x - y; });
    case 2: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x * y; });
    case 3: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x / y; });
    case 4: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x > y || std::isnan(x) ? x : y; });
    case 5: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return x < y || std::isnan(x) ? x : y; });
    case 6: return binaryOp(dims, as, bs, a, b, o, [](float x, float y) { return (x - y) * (x - y); });
    default: return;
  }
}

// Comparisons into a uint8 (tfjs 'bool') output, same broadcast geometry as binary().
template <typename Op>
static void compareOp(const int32_t* d, const int32_t* as, const int32_t* bs, const float* a, const float* b, uint8_t* o, Op op) {
  const int64_t rows = int64_t(d[0]) * d[1] * d[2], inner = d[3];
  parallelFor(rows * inner, minParallel(), [&](int64_t f0, int64_t f1) {
    for (int64_t f = f0; f < f1;) {
      const int64_t r = f / inner, i0 = f % inner, i1 = std::min(inner, i0 + (f1 - f));
      const int64_t x0 = r / (int64_t(d[1]) * d[2]), x1 = (r / d[2]) % d[1], x2 = r % d[2];
      const float* pa = a + x0 * as[0] + x1 * as[1] + x2 * as[2];
      const float* pb = b + x0 * bs[0] + x1 * bs[1] + x2 * bs[2];
      uint8_t* po = o + r * inner;
      // Strides in locals: a uint8_t store may alias anything, which would reload them per element.
      const int64_t sa = as[3], sb = bs[3];
      if (sa == 1 && sb == 1)
        for (int64_t i = i0; i < i1; ++i) po[i] = op(pa[i], pb[i]) ? 1 : 0;
      else if (sb == 0) {
        const float vb = pb[0];
        for (int64_t i = i0; i < i1; ++i) po[i] = op(pa[i * sa], vb) ? 1 : 0;
      } else if (sa == 0) {
        const float va = pa[0];
        for (int64_t i = i0; i < i1; ++i) po[i] = op(va, pb[i * sb]) ? 1 : 0;
      } else
        for (int64_t i = i0; i < i1; ++i) po[i] = op(pa[i * sa], pb[i * sb]) ? 1 : 0;
      f += i1 - i0;
    }
  });
}

// op: 0 greater, 1 greater-equal, 2 less, 3 less-equal, 4 equal, 5 not-equal.
void compare(int op, const int32_t* d, const int32_t* as, const int32_t* bs, const float* a, const float* b, uint8_t* o) {
  switch (op) {
    case 0: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x > y; });
    case 1: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x >= y; });
    case 2: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x < y; });
    case 3: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x <= y; });
    case 4: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x == y; });
    case 5: return compareOp(d, as, bs, a, b, o, [](float x, float y) { return x != y; });
    default: return;
  }
}

// out = cond ? t : e, all of length n.
void select(const uint8_t* c, const float* t, const float* e, float* o, int64_t n) {
  parallelFor(n, minParallel(), [&](int64_t b, int64_t f) {
    // Both loads unconditional: the loop vectorizes instead of branching on random data.
    for (int64_t i = b; i < f; ++i) {
      const float tv = t[i], ev = e[i];
      o[i] = c[i] ? tv : ev;
    }
  });
}

// ------------------------------------------------------------------ unary

template <typename Op>
static void unaryOp(const float* x, float* y, int64_t n, Op op) {
  parallelFor(n, minParallel(), [&](int64_t b, int64_t e) {
    // A local copy of the functor: its captures (alpha) then cannot alias y, and the loop vectorizes.
    const Op f = op;
    const float* __restrict__ px = x;
    float* __restrict__ py = y;
    for (int64_t i = b; i < e; ++i) py[i] = f(px[i]);
  });
}

// op: 0 relu, 1 neg, 2 square, 3 sqrt, 4 rsqrt, 5 exp, 6 log, 7 abs, 8 step(alpha), 9 leaky relu(alpha),
//     10 sigmoid, 11 reciprocal, 12 relu6, 13 tanh, 14 log1p, 15 sign, 16 sin, 17 cos.
// sin and cos are taken in double and rounded once, as tfjs's JS kernels (Math.sin of the float's value) do.
void unary(int op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case 0: return unaryOp(x, y, n, [](float v) { return v > 0.f ? v : (std::isnan(v) ? v : 0.f); });
    case 1: return unaryOp(x, y, n, [](float v) { return -v; });
    case 2: return unaryOp(x, y, n, [](float v) { return v * v; });
    case 3: return unaryOp(x, y, n, [](float v) { return std::sqrt(v); });
    case 4: return unaryOp(x, y, n, [](float v) { return 1.f / std::sqrt(v); });
    case 5: return unaryOp(x, y, n, [](float v) { return std::exp(v); });
    case 6: return unaryOp(x, y, n, [](float v) { return std::log(v); });
    case 7: return unaryOp(x, y, n, [](float v) { return std::fabs(v); });
    case 8: return unaryOp(x, y, n, [alpha](float v) { const float r = v > 0.f ? 1.f : alpha; return v != v ? v : r; });
    case 9: return unaryOp(x, y, n, [alpha](float v) { return v < 0.f ? alpha * v : v; });
    case 10: return unaryOp(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); });
    case 11: return unaryOp(x, y, n, [](float v) { return 1.f / v; });
    case 12: return unaryOp(x, y, n, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); });
    case 13: return unaryOp(x, y, n, [](float v) { return std::tanh(v); });
    case 14: return unaryOp(x, y, n, [](float v) { return std::log1p(v); });
    case 15: return unaryOp(x, y, n, [](float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f); });
    case 16: return unaryOp(x, y, n, [](float v) { return float(std::sin(double(v))); });
    case 17: return unaryOp(x, y, n, [](float v) { return float(std::cos(double(v))); });
    default: return;
  }
}

// ------------------------------------------------------------------ reductions over the middle of [outer, mid, inner]

// op: 0 sum, 1 mean, 2 max, 3 min. Accumulates sums in double (as tfjs's JS kernels do).
void reduce(int op, int64_t outer, int64_t mid, int64_t inner, const float* x, float* y) {
  const int T = threads();
  if (op <= 1) {
    const double scale = op == 1 ? 1.0 / double(mid) : 1.0;
    if (outer >= T || mid < 4096) {
      parallelFor(outer, per(mid * inner), [&](int64_t o0, int64_t o1) {
        std::vector<double> acc(static_cast<size_t>(inner));
        for (int64_t o = o0; o < o1; ++o) {
          std::fill(acc.begin(), acc.end(), 0.0);
          const float* p = x + o * mid * inner;
          if (inner == 1) {
            double s = 0;
            for (int64_t m = 0; m < mid; ++m) s += p[m];
            acc[0] = s;
          } else {
            for (int64_t m = 0; m < mid; ++m, p += inner)
              for (int64_t i = 0; i < inner; ++i) acc[i] += p[i];
          }
          for (int64_t i = 0; i < inner; ++i) y[o * inner + i] = float(acc[i] * scale);
        }
      });
      return;
    }
    // Few outer rows, long reductions: split the middle across threads and combine.
    for (int64_t o = 0; o < outer; ++o) {
      std::vector<std::vector<double>> part(size_t(T), std::vector<double>(size_t(inner), 0.0));
      const int64_t per = (mid + T - 1) / T;
      parallelFor(T, mid * inner < 2 * minParallel() ? T : 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          auto& acc = part[size_t(t)];
          const int64_t m0 = t * per, m1 = std::min(mid, m0 + per);
          const float* p = x + (o * mid + m0) * inner;
          if (inner == 1) {
            double s = 0;
            for (int64_t m = m0; m < m1; ++m) s += x[o * mid + m];
            acc[0] = s;
          } else {
            for (int64_t m = m0; m < m1; ++m, p += inner)
              for (int64_t i = 0; i < inner; ++i) acc[i] += p[i];
          }
        }
      });
      for (int64_t i = 0; i < inner; ++i) {
        double s = 0;
        for (int t = 0; t < T; ++t) s += part[size_t(t)][size_t(i)];
        y[o * inner + i] = float(s * scale);
      }
    }
    return;
  }
  parallelFor(outer, per(mid * inner), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* out = y + o * inner;
      const float* p = x + o * mid * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = p[i];
      for (int64_t m = 1; m < mid; ++m) {
        p += inner;
        if (op == 2)
          for (int64_t i = 0; i < inner; ++i) out[i] = (p[i] > out[i] || std::isnan(p[i])) ? p[i] : out[i];
        else
          for (int64_t i = 0; i < inner; ++i) out[i] = (p[i] < out[i] || std::isnan(p[i])) ? p[i] : out[i];
      }
    }
  });
}

// ------------------------------------------------------------------ depthwise convolution (NHWC, multiplier 1)

// g: [n, h, w, c, fh, fw, sh, sw, dh, dw, padTop, padLeft, oh, ow]; filter [fh, fw, c].
// y[b,oy,ox,ci] = sum over (ky, kx) in row-major order of x[b, oy*sh+ky*dh-pt, ox*sw+kx*dw-pl, ci] * f[ky,kx,ci]
// (taps outside the image skipped). One output row per work item; the channel loop vectorizes.
// y[j] += x[j] * f[j] over a contiguous span (vectorized; the caller keeps the per-element order of the taps).
static void madSpan(float* __restrict__ y, const float* __restrict__ x, const float* __restrict__ f, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] += x[j] * f[j];
}

// depthwiseConv's row walk: each output row r (image r / oh, row r % oh) is zeroed, then for every
// filter row ky whose input row is inside, tap(yr, xr, ky) adds that input row's terms.
template <typename Tap>
static void depthwiseRows(const int32_t* g, const float* x, float* y, int64_t work, Tap tap) {
  const int h = g[1], w = g[2], c = g[3], fh = g[4], sh = g[6], dh = g[8], pt = g[10], oh = g[12], ow = g[13];
  const int64_t rows = int64_t(g[0]) * oh, rowLen = int64_t(ow) * c;
  parallelFor(rows, per(work), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / oh;
      const int oy = int(r % oh);
      float* yr = y + r * rowLen;
      std::memset(yr, 0, sizeof(float) * size_t(rowLen));
      for (int ky = 0; ky < fh; ++ky) {
        const int iy = oy * sh - pt + ky * dh;
        if (iy < 0 || iy >= h) continue;
        tap(yr, x + (b * h + iy) * int64_t(w) * c, ky);
      }
    }
  });
}

void depthwiseConv(const int32_t* g, const float* x, const float* f, float* y) {
  const int w = g[2], c = g[3], fh = g[4], fw = g[5], sw = g[7], dw = g[9], pl = g[11], ow = g[13];
  const int64_t rowLen = int64_t(ow) * c;
  if (sw == 1) {
    // Stride 1 along W: for a tap (ky, kx) an output row's valid pixels read one contiguous span of
    // the input row, and the filter repeats every c values; with the filter laid out along the row
    // once, each tap is a vectorizable y += x·f over the span. Taps in the same order (ky, then kx)
    // as below, so every output element sums the same terms in the same order.
    std::vector<float> frow(size_t(fh) * fw * size_t(rowLen));
    for (int t = 0; t < fh * fw; ++t)
      for (int64_t j = 0; j < rowLen; ++j) frow[size_t(t) * size_t(rowLen) + size_t(j)] = f[int64_t(t) * c + j % c];
    depthwiseRows(g, x, y, rowLen * fh * fw, [&](float* yr, const float* xr, int ky) {
      for (int kx = 0; kx < fw; ++kx) {
        const int off = kx * dw - pl;  // ix = ox + off
        const int ox0 = std::max(0, -off), ox1 = std::min(ow, w - off);
        if (ox0 >= ox1) continue;
        const float* fr = frow.data() + (size_t(ky) * fw + kx) * size_t(rowLen);
        madSpan(yr + int64_t(ox0) * c, xr + int64_t(ox0 + off) * c, fr + int64_t(ox0) * c, int64_t(ox1 - ox0) * c);
      }
    });
    return;
  }
  depthwiseRows(g, x, y, rowLen * fh * fw, [&](float* yr, const float* xr, int ky) {
    for (int ox = 0; ox < ow; ++ox) {
      float* __restrict__ yo = yr + int64_t(ox) * c;
      for (int kx = 0; kx < fw; ++kx) {
        const int ix = ox * sw - pl + kx * dw;
        if (ix < 0 || ix >= w) continue;
        const float* __restrict__ xp = xr + int64_t(ix) * c;
        const float* __restrict__ fp = f + (int64_t(ky) * fw + kx) * c;
        for (int ci = 0; ci < c; ++ci) yo[ci] += xp[ci] * fp[ci];
      }
    }
  });
}

// ------------------------------------------------------------------ max-pool gradient (NHWC)

// g: [n, h, w, c, fh, fw, sh, sw, padTop, padLeft, oh, ow]. The window's first maximum (row-major
// scan, strict >) receives the gradient, as in tfjs's cpu kernel.
void maxPoolGrad(const int32_t* g, const float* dy, const float* x, float* dx) {
  const int n = g[0], h = g[1], w = g[2], c = g[3], fh = g[4], fw = g[5], sh = g[6], sw = g[7], pt = g[8], pl = g[9],
            oh = g[10], ow = g[11];
  const int64_t img = int64_t(h) * w * c;
  parallelFor(n, per(int64_t(h) * w * c), [&](int64_t n0, int64_t n1) {
    const size_t cc = static_cast<size_t>(c);
    std::vector<float> best(cc);
    std::vector<int32_t> which(cc);                               // tap index of the maximum, per channel
    std::vector<int64_t> tapOff(static_cast<size_t>(fh) * fw);    // offset of each valid tap in the image
    for (int64_t b = n0; b < n1; ++b) {
      const float* xb = x + b * img;
      float* dxb = dx + b * img;
      std::memset(dxb, 0, sizeof(float) * size_t(img));
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          int taps = 0;
          for (int ky = 0; ky < fh; ++ky) {
            const int iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < fw; ++kx) {
              const int ix = ox * sw - pl + kx;
              if (ix >= 0 && ix < w) tapOff[size_t(taps++)] = (int64_t(iy) * w + ix) * c;
            }
          }
          if (taps == 0) continue;
          // The first valid tap seeds the maximum; later taps replace it only when strictly
          // greater (branch-free selects, so the channel loop vectorizes).
          float* __restrict__ pb = best.data();
          int32_t* __restrict__ pw = which.data();
          const float* p0 = xb + tapOff[0];
          for (int ci = 0; ci < c; ++ci) {
            pb[ci] = p0[ci];
            pw[ci] = 0;
          }
          for (int t = 1; t < taps; ++t) {
            const float* p = xb + tapOff[size_t(t)];
            for (int ci = 0; ci < c; ++ci) {
              const float v = p[ci], bv = pb[ci];
              const int32_t take = -int32_t(bv < v);  // all ones where strictly greater
              pb[ci] = bv < v ? v : bv;
              pw[ci] = (pw[ci] & ~take) | (t & take);
            }
          }
          const float* d = dy + ((b * oh + oy) * int64_t(ow) + ox) * c;
          for (int ci = 0; ci < c; ++ci) dxb[tapOff[size_t(pw[ci])] + ci] += d[ci];
        }
    }
  });
}

// ------------------------------------------------------------------ average pooling without padding (NHWC)

// g: [n, h, w, c, fh, fw, sh, sw, oh, ow]; every window lies inside the input.
void avgPool(const int32_t* g, const float* x, float* y) {
  const int64_t n = g[0], h = g[1], w = g[2], c = g[3], fh = g[4], fw = g[5], sh = g[6], sw = g[7], oh = g[8], ow = g[9];
  const float inv = 1.f / float(fh * fw);
  parallelFor(n * oh, per(ow * c * fh * fw), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / oh, oy = r % oh;
      for (int64_t ox = 0; ox < ow; ++ox) {
        float* out = y + ((b * oh + oy) * ow + ox) * c;
        for (int64_t ci = 0; ci < c; ++ci) out[ci] = 0.f;
        for (int64_t ky = 0; ky < fh; ++ky)
          for (int64_t kx = 0; kx < fw; ++kx) {
            const float* p = x + ((b * h + oy * sh + ky) * w + ox * sw + kx) * c;
            for (int64_t ci = 0; ci < c; ++ci) out[ci] += p[ci];
          }
        for (int64_t ci = 0; ci < c; ++ci) out[ci] *= inv;
      }
    }
  });
}

// Gradients that scatter into their input's images: the batch split across the threads, each
// image of dx zeroed, then body(b, dxb) adds image b's contributions into it.
template <typename Body>
static void scatterPerImage(int64_t n, int64_t imageFloats, int64_t work, float* dx, Body body) {
  parallelFor(n, per(work), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* dxb = dx + b * imageFloats;
      std::memset(dxb, 0, sizeof(float) * size_t(imageFloats));
      body(b, dxb);
    }
  });
}

// The exact adjoint of avgPool: dx[window] += dy / (fh * fw).
void avgPoolGrad(const int32_t* g, const float* dy, float* dx) {
  const int64_t n = g[0], h = g[1], w = g[2], c = g[3], fh = g[4], fw = g[5], sh = g[6], sw = g[7], oh = g[8], ow = g[9];
  const float inv = 1.f / float(fh * fw);
  scatterPerImage(n, h * w * c, h * w * c, dx, [&](int64_t b, float* dxb) {
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const float* d = dy + ((b * oh + oy) * ow + ox) * c;
        for (int64_t ky = 0; ky < fh; ++ky)
          for (int64_t kx = 0; kx < fw; ++kx) {
            float* p = dxb + ((oy * sh + ky) * w + ox * sw + kx) * c;
            for (int64_t ci = 0; ci < c; ++ci) p[ci] += d[ci] * inv;
          }
      }
  });
}

// Max pool (NHWC); g: [n, h, w, c, fh, fw, sh, sw, padTop, padLeft, oh, ow]. Out-of-range taps are skipped.
void maxPool(const int32_t* g, const float* x, float* y) {
  const int64_t n = g[0], h = g[1], w = g[2], c = g[3], fh = g[4], fw = g[5], sh = g[6], sw = g[7], pt = g[8], pl = g[9],
                oh = g[10], ow = g[11];
  parallelFor(n * oh, per(ow * c * fh * fw), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / oh, oy = r % oh;
      for (int64_t ox = 0; ox < ow; ++ox) {
        float* out = y + ((b * oh + oy) * ow + ox) * c;
        for (int64_t ci = 0; ci < c; ++ci) out[ci] = -INFINITY;
        for (int64_t ky = 0; ky < fh; ++ky) {
          const int64_t iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (int64_t kx = 0; kx < fw; ++kx) {
            const int64_t ix = ox * sw - pl + kx;
            if (ix < 0 || ix >= w) continue;
            const float* p = x + ((b * h + iy) * w + ix) * c;
            for (int64_t ci = 0; ci < c; ++ci) out[ci] = p[ci] > out[ci] ? p[ci] : out[ci];
          }
        }
      }
    }
  });
}

// Concatenate k inputs along a middle axis: out row o = [in0 row o | in1 row o | ...].
void concatRows(int64_t outer, int k, const float* const* in, const int64_t* rowLen, float* out) {
  int64_t total = 0;
  for (int i = 0; i < k; ++i) total += rowLen[i];
  parallelFor(outer, per(total), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* dst = out + o * total;
      for (int i = 0; i < k; ++i) {
        std::memcpy(dst, in[i] + o * rowLen[i], sizeof(float) * size_t(rowLen[i]));
        dst += rowLen[i];
      }
    }
  });
}

// Gradient of leaky ReLU: dx = x > 0 ? dy : α·dy (both computed, so the loop vectorizes).
void leakyReluGrad(const float* dy, const float* x, float alpha, float* dx, int64_t n) {
  parallelFor(n, minParallel(), [&](int64_t b, int64_t e) {
    const float* __restrict__ pd = dy;
    const float* __restrict__ px = x;
    float* __restrict__ po = dx;
    for (int64_t i = b; i < e; ++i) {
      const float d = pd[i], s = d * alpha;
      po[i] = px[i] > 0.f ? d : s;
    }
  });
}

// torch's affine_grid + grid_sample(bilinear, zeros, align_corners=False) as a plan: for each of the
// n·outH·outW output rows, four input rows (0 when outside) and their bilinear weights (0 outside),
// tap k = 2·dy + dx. theta: n × [r00, r01, r02, r10, r11, r12]. The arithmetic is src/train/ada.ts's
// (double, the grid rounded to float32), so the plan is the same bit for bit.
void affineGridPlan(int n, int h, int w, int outH, int outW, const double* theta, int32_t* idx, float* wt) {
  const int64_t m = int64_t(outH) * outW, nm = int64_t(n) * m;
  parallelFor(int64_t(n) * outH, per(int64_t(outW) * 16), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int b = int(r / outH), i = int(r % outH);
      const double* t = theta + int64_t(b) * 6;
      const double yb = double(2 * i + 1) / outH - 1;
      for (int j = 0; j < outW; ++j) {
        const double xb = double(2 * j + 1) / outW - 1;
        const double gx = double(float(t[0] * xb + t[1] * yb + t[2])), gy = double(float(t[3] * xb + t[4] * yb + t[5]));
        const double ix = ((gx + 1) * w - 1) / 2, iy = ((gy + 1) * h - 1) / 2;
        const double x0 = std::floor(ix), y0 = std::floor(iy);
        const double fx = ix - x0, fy = iy - y0;
        const int64_t o = int64_t(b) * m + int64_t(i) * outW + j;
        for (int k = 0; k < 4; ++k) {
          const double yy = y0 + (k >> 1), xx = x0 + (k & 1);
          const bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
          idx[k * nm + o] = inside ? int32_t((int64_t(b) * h + int64_t(yy)) * w + int64_t(xx)) : 0;
          wt[k * nm + o] = inside ? float(((k >> 1) ? fy : 1 - fy) * ((k & 1) ? fx : 1 - fx)) : 0.f;
        }
      }
    }
  });
}

// out = Σ_k wt_k · src[idx_k] row by row ([inRows, c] → [outRows, c]) or, adjoint, its transpose
// (scatter-add into the idx rows). Each add is rounded once from double, as the JS loop's
// Float32Array store does, and in the JS loop's order (tap, then row): the adjoint runs on one
// thread since rows collide.
void sampleRows(int64_t outRows, int64_t inRows, int64_t c, const int32_t* idx, const float* wt, const float* src, bool adjoint,
                float* out) {
  std::memset(out, 0, sizeof(float) * size_t((adjoint ? inRows : outRows) * c));
  if (adjoint) {
    for (int k = 0; k < 4; ++k)
      for (int64_t r = 0; r < outRows; ++r) {
        const float wv = wt[k * outRows + r];
        if (wv == 0.f) continue;
        float* o = out + int64_t(idx[k * outRows + r]) * c;
        const float* sv = src + r * c;
        for (int64_t q = 0; q < c; ++q) o[q] = float(double(o[q]) + double(wv) * double(sv[q]));
      }
    return;
  }
  parallelFor(outRows, per(c * 8), [&](int64_t r0, int64_t r1) {
    for (int k = 0; k < 4; ++k)
      for (int64_t r = r0; r < r1; ++r) {
        const float wv = wt[k * outRows + r];
        if (wv == 0.f) continue;
        const float* sv = src + int64_t(idx[k * outRows + r]) * c;
        float* o = out + r * c;
        for (int64_t q = 0; q < c; ++q) o[q] = float(double(o[q]) + double(wv) * double(sv[q]));
      }
  });
}

// Copy the box begin/size of src (shape sshape) to dbegin in dst (shape dshape), rank <= 16 (merged
// dims): the innermost dim in runs of size[rank-1], memcpy'd, outer positions split over threads.
void copyBox(int rank, const int64_t* sshape, const int64_t* begin, const int64_t* size, const int64_t* dshape,
             const int64_t* dbegin, const float* src, float* dst) {
  if (rank < 1 || rank > 16) return;
  int64_t ss[16], ds[16];
  ss[rank - 1] = ds[rank - 1] = 1;
  for (int k = rank - 2; k >= 0; --k) {
    ss[k] = ss[k + 1] * sshape[k + 1];
    ds[k] = ds[k + 1] * dshape[k + 1];
  }
  const int64_t run = size[rank - 1];
  int64_t outer = 1;
  for (int k = 0; k < rank - 1; ++k) outer *= size[k];
  if (run == 0 || outer == 0) return;
  parallelFor(outer, per(run), [&](int64_t o0, int64_t o1) {
    int64_t idx[16] = {0};
    int64_t rem = o0;
    for (int k = rank - 2; k >= 0; --k) {
      idx[k] = rem % size[k];
      rem /= size[k];
    }
    for (int64_t o = o0; o < o1; ++o) {
      int64_t so = begin[rank - 1], d = dbegin[rank - 1];
      for (int k = 0; k < rank - 1; ++k) {
        so += (begin[k] + idx[k]) * ss[k];
        d += (dbegin[k] + idx[k]) * ds[k];
      }
      std::memcpy(dst + d, src + so, sizeof(float) * size_t(run));
      for (int k = rank - 2; k >= 0; --k) {
        if (++idx[k] < size[k]) break;
        idx[k] = 0;
      }
    }
  });
}

// Transpose as a strided copy: the output walks `rank` (merged) dims of lengths len[], taking x's
// elements at strides step[]; the last dim is the innermost. Contiguous inner runs are memcpy'd.
void transpose(int rank, const int64_t* len, const int64_t* step, const float* x, float* y) {
  if (rank < 1 || rank > 16) return;
  const int64_t inner = len[rank - 1], istep = step[rank - 1];
  int64_t outer = 1;
  for (int k = 0; k < rank - 1; ++k) outer *= len[k];
  parallelFor(outer, per(inner), [&](int64_t o0, int64_t o1) {
    int64_t idx[16] = {0};
    int64_t s = 0, rem = o0;
    for (int k = rank - 2; k >= 0; --k) {
      idx[k] = rem % len[k];
      rem /= len[k];
      s += idx[k] * step[k];
    }
    float* out = y + o0 * inner;
    for (int64_t o = o0; o < o1; ++o, out += inner) {
      if (istep == 1) std::memcpy(out, x + s, sizeof(float) * size_t(inner));
      else
        for (int64_t j = 0; j < inner; ++j) out[j] = x[s + j * istep];
      for (int k = rank - 2; k >= 0; --k) {
        s += step[k];
        if (++idx[k] < len[k]) break;
        s -= idx[k] * step[k];
        idx[k] = 0;
      }
    }
  });
}

// The inverse of concatRows: out[i] row o = the i-th piece of x row o.
void splitRows(int64_t outer, int k, const float* x, float* const* out, const int64_t* rowLen) {
  int64_t total = 0;
  for (int i = 0; i < k; ++i) total += rowLen[i];
  parallelFor(outer, per(total), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float* src = x + o * total;
      for (int i = 0; i < k; ++i) {
        std::memcpy(out[i] + o * rowLen[i], src, sizeof(float) * size_t(rowLen[i]));
        src += rowLen[i];
      }
    }
  });
}

// out = !x for 0/1 bytes.
void logicalNot(const uint8_t* x, uint8_t* y, int64_t n) {
  parallelFor(n, minParallel(), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = x[i] ? 0 : 1;
  });
}

// Softmax over the last axis of x [rows, cols], in tfjs's cpu kernel's order of operations (max, x − max in
// float, exp in double rounded to float, the sum of those floats in double rounded to float, a float
// division), so the values are the JS kernel's.
void softmaxRows(const float* x, float* y, int64_t rows, int64_t cols) {
  parallelFor(rows, per(cols * 8), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* px = x + r * cols;
      float* py = y + r * cols;
      float m = px[0];
      for (int64_t j = 1; j < cols; ++j) m = px[j] > m || px[j] != px[j] ? px[j] : m;
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const float e = float(std::exp(double(px[j] - m)));
        py[j] = e;
        s += e;
      }
      const float sf = float(s);
      for (int64_t j = 0; j < cols; ++j) py[j] = py[j] / sf;
    }
  });
}

// ------------------------------------------------------------------ fused BatchNorm (training) and Adam
// The composed tfjs ops of a BatchNorm training step (mean, centre, square, mean, rsqrt,
// scale, shift, ReLU and their gradients: ~25 kernels, each a pass over the activation)
// were the largest non-convolution cost of a UNet step; these do it in 3 passes forward
// and 2 backward, with double-precision per-channel sums.

// Per-channel sums over `rows` rows of `c` channels, split over the worker threads:
// row(r, blk) adds row r's k terms per channel into blk[0 .. k*c). Partial sums run in float
// over blocks of 64 rows (vectorizable), then in double per thread, then across threads.
template <typename Row>
static void channelSums(int64_t rows, int c, int k, double* out, Row row) {
  const int T = std::max(1, std::min<int>(threads(), int(rows * c / kSumPart)));
  const size_t kc = size_t(k) * size_t(c);
  std::vector<double> part(size_t(T) * kc, 0.0);
  const int64_t per = (rows + T - 1) / T;
  parallelFor(T, rows * c < 2 * minParallel() ? T : 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> blk(kc);
    for (int64_t t = t0; t < t1; ++t) {
      double* acc = part.data() + size_t(t) * kc;
      const int64_t r1 = std::min(rows, t * per + per);
      for (int64_t r = t * per; r < r1;) {
        const int64_t e = std::min(r1, r + 64);
        std::fill(blk.begin(), blk.end(), 0.f);
        for (; r < e; ++r) row(r, blk.data());
        for (size_t i = 0; i < kc; ++i) acc[i] += blk[i];
      }
    }
  });
  for (size_t i = 0; i < kc; ++i) {
    double s = 0;
    for (int t = 0; t < T; ++t) s += part[size_t(t) * kc + i];
    out[i] = s;
  }
}

// y = (x − mean)·γ/√(var + ε) + β over the channels of [rows, c]; mean and the biased
// variance out. relu: y = max(y, 0).
void batchNormTrain(const float* x, int64_t rows, int c, const float* gamma, const float* beta, float eps, bool relu,
                    float* y, float* meanOut, float* varOut) {
  // One pass for both moments: sums of (x − s) and (x − s)² with s = the first row (a shift
  // close to the data keeps E[(x−s)²] − E[x−s]² free of cancellation).
  const size_t cc = static_cast<size_t>(c);
  std::vector<double> sums(2 * cc);
  channelSums(rows, c, 2, sums.data(), [&](int64_t r, float* blk) {
    const float* p = x + r * c;
    for (int i = 0; i < c; ++i) {
      const float d = p[i] - x[i];
      blk[i] += d;
      blk[c + i] += d * d;
    }
  });
  std::vector<float> mean(cc), scale(cc);
  for (int i = 0; i < c; ++i) {
    const double m1 = sums[size_t(i)] / double(rows);
    const float v = float(std::max(0.0, sums[cc + size_t(i)] / double(rows) - m1 * m1));
    mean[size_t(i)] = float(double(x[i]) + m1);
    meanOut[i] = mean[size_t(i)];
    varOut[i] = v;
    scale[size_t(i)] = gamma[i] / std::sqrt(v + eps);
  }
  parallelFor(rows, per(c), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* p = x + r * c;
      float* q = y + r * c;
      if (relu)
        for (int i = 0; i < c; ++i) {
          const float v = (p[i] - mean[size_t(i)]) * scale[size_t(i)] + beta[i];
          q[i] = v > 0.f ? v : 0.f;
        }
      else
        for (int i = 0; i < c; ++i) q[i] = (p[i] - mean[size_t(i)]) * scale[size_t(i)] + beta[i];
    }
  });
}

// Gradient of batchNormTrain (batch statistics): with g = dy (masked by y > 0 when relu),
// x̂ = (x − mean)·s, s = 1/√(var + ε), M = rows:
//   dβ = Σg, dγ = Σ g·x̂, dx = γ·s·(g − Σg/M − x̂·Σ(g·x̂)/M) + dmean/M + 2·dvar·(x − mean)/M
// (dmean, dvar: gradients reaching the mean and variance outputs; null when none).
void batchNormTrainGrad(const float* dy, const float* x, const float* y, int64_t rows, int c, const float* gamma,
                        const float* mean, const float* var, const float* dmean, const float* dvar, float eps, float* dx,
                        float* dgamma, float* dbeta) {
  std::vector<double> sums(static_cast<size_t>(2 * c));
  channelSums(rows, c, 2, sums.data(), [&](int64_t r, float* blk) {
    const float* pd = dy + r * c;
    const float* px = x + r * c;
    if (y) {
      const float* py = y + r * c;
      for (int i = 0; i < c; ++i) {
        const float d = pd[i], g = py[i] > 0.f ? d : 0.f;  // unconditional load: vectorizes, no branch
        blk[i] += g;
        blk[c + i] += g * (px[i] - mean[i]);
      }
    } else {
      for (int i = 0; i < c; ++i) {
        blk[i] += pd[i];
        blk[c + i] += pd[i] * (px[i] - mean[i]);
      }
    }
  });
  const size_t cc = static_cast<size_t>(c);
  std::vector<float> a(cc), b(cc), k(cc);
  for (int i = 0; i < c; ++i) {
    const double s = 1.0 / std::sqrt(double(var[i]) + double(eps));
    const double sg = sums[size_t(i)], sgx = sums[size_t(c + i)];
    dbeta[i] = float(sg);
    dgamma[i] = float(sgx * s);
    // dx = a·g − b − k·(x − mean)
    a[size_t(i)] = float(gamma[i] * s);
    b[size_t(i)] = float(gamma[i] * s * sg / double(rows));
    k[size_t(i)] = float(gamma[i] * s * s * s * sgx / double(rows));
    // Gradients arriving at the mean and variance outputs: ∂mean/∂x = 1/M, ∂var/∂x = 2(x − mean)/M.
    if (dmean) b[size_t(i)] = float(double(b[size_t(i)]) - double(dmean[i]) / double(rows));
    if (dvar) k[size_t(i)] = float(double(k[size_t(i)]) - 2.0 * double(dvar[i]) / double(rows));
  }
  parallelFor(rows, per(c), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* pd = dy + r * c;
      const float* px = x + r * c;
      float* q = dx + r * c;
      if (y) {
        const float* py = y + r * c;
        for (int i = 0; i < c; ++i) {
          const float d = pd[i], g = py[i] > 0.f ? d : 0.f;  // unconditional load: vectorizes, no branch
          q[i] = a[size_t(i)] * g - b[size_t(i)] - k[size_t(i)] * (px[i] - mean[i]);
        }
      } else {
        for (int i = 0; i < c; ++i) q[i] = a[size_t(i)] * pd[i] - b[size_t(i)] - k[size_t(i)] * (px[i] - mean[i]);
      }
    }
  });
}

// One Adam step, element-wise, in the same float32 operation order as src/train/adam.ts:
// m' = m·β1 + g·(1 − β1); v' = v·β2 + g²·(1 − β2); x' = x − (m'/c1·lr)/(√(v'/c2) + ε).
// s = [lr, β1, 1 − β1, β2, 1 − β2, ε, c1, c2] as float32.
// Σ x² of each of k arrays in float64 (four interleaved partial sums per array, added in a fixed
// order): out[i] for array i, whatever the threads, as the finiteness check of a training step reads it.
static double sumSquaresOne(const float* __restrict__ x, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const double a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; ++i) s0 += double(x[i]) * x[i];
  return (s0 + s1) + (s2 + s3);
}

void sumSquares(int k, const float* const* xs, const int64_t* lens, double* out) {
  int64_t total = 0;
  for (int i = 0; i < k; ++i) total += lens[i];
  parallelFor(k, total < 16 * minParallel() ? k : 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = sumSquaresOne(xs[i], lens[i]);
  });
}

// A plain function with restrict pointers: inside parallelFor's lambda GCC does not vectorize
// the loop (4 ns an element scalar against ~1 vectorized); same operations, same results.
static void adamRange(const float* __restrict__ x, const float* __restrict__ g, const float* __restrict__ m,
                      const float* __restrict__ v, const float* s, float* __restrict__ xo, float* __restrict__ mo,
                      float* __restrict__ vo, int64_t i0, int64_t i1) {
  const float lr = s[0], b1 = s[1], ob1 = s[2], b2 = s[3], ob2 = s[4], eps = s[5], c1 = s[6], c2 = s[7];
  for (int64_t i = i0; i < i1; ++i) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * ob1;
    const float vi = v[i] * b2 + (gi * gi) * ob2;
    const float num = (mi / c1) * lr;
    const float den = std::sqrt(vi / c2) + eps;
    mo[i] = mi;
    vo[i] = vi;
    xo[i] = x[i] - num / den;
  }
}

void adam(const float* x, const float* g, const float* m, const float* v, int64_t n, const float* s, float* xo, float* mo,
          float* vo) {
  parallelFor(n, minParallel(), [&](int64_t i0, int64_t i1) { adamRange(x, g, m, v, s, xo, mo, vo, i0, i1); });
}

// ------------------------------------------------------------------ resizing (NHWC), tfjs's arithmetic
// d: [n, h, w, c, nh, nw]. Per-axis tables from src/backend/kernels/resample.ts (lo, hi, frac for
// bilinear; the source index for nearest): the same sampling positions as tfjs's kernels, and the
// interpolation in double rounded once, as tfjs's JS does.

void resizeBilinear(const int32_t* d, const int32_t* rlo, const int32_t* rhi, const double* rf, const int32_t* clo,
                    const int32_t* chi, const double* cf, const float* x, float* y) {
  const int64_t n = d[0], h = d[1], w = d[2], c = d[3], nh = d[4], nw = d[5];
  parallelFor(n * nh, per(nw * c * 4), [&](int64_t r0, int64_t r1) {
    for (int64_t rr = r0; rr < r1; ++rr) {
      const int64_t b = rr / nh, r = rr % nh;
      const double fr = rf[r];
      const float* top = x + (b * h + rlo[r]) * w * c;
      const float* bot = x + (b * h + rhi[r]) * w * c;
      float* out = y + rr * nw * c;
      for (int64_t q = 0; q < nw; ++q) {
        const double fc = cf[q];
        const float *tl = top + clo[q] * c, *tr = top + chi[q] * c, *bl = bot + clo[q] * c, *br = bot + chi[q] * c;
        float* o = out + q * c;
        for (int64_t k = 0; k < c; ++k) {
          const double t = double(tl[k]) + (double(tr[k]) - double(tl[k])) * fc;
          const double bo = double(bl[k]) + (double(br[k]) - double(bl[k])) * fc;
          o[k] = float(t + (bo - t) * fr);
        }
      }
    }
  });
}

// The exact adjoint of resizeBilinear, accumulated in the order of the JS kernel.
void resizeBilinearGrad(const int32_t* d, const int32_t* rlo, const int32_t* rhi, const double* rf, const int32_t* clo,
                        const int32_t* chi, const double* cf, const float* dy, float* dx) {
  const int64_t n = d[0], h = d[1], w = d[2], c = d[3], nh = d[4], nw = d[5];
  scatterPerImage(n, h * w * c, nh * nw * c * 4, dx, [&](int64_t b, float* dxb) {
    for (int64_t r = 0; r < nh; ++r) {
      const double fr = rf[r];
      const int64_t top = rlo[r] * w, bot = rhi[r] * w;
      for (int64_t q = 0; q < nw; ++q) {
        const double fc = cf[q];
        const double wtl = (1 - fr) * (1 - fc), wtr = (1 - fr) * fc, wbl = fr * (1 - fc), wbr = fr * fc;
        const float* g = dy + ((b * nh + r) * nw + q) * c;
        float* tl = dxb + (top + clo[q]) * c;
        float* tr = dxb + (top + chi[q]) * c;
        float* bl = dxb + (bot + clo[q]) * c;
        float* br = dxb + (bot + chi[q]) * c;
        for (int64_t k = 0; k < c; ++k) {
          const double gv = g[k];
          tl[k] = float(double(tl[k]) + gv * wtl);
          tr[k] = float(double(tr[k]) + gv * wtr);
          bl[k] = float(double(bl[k]) + gv * wbl);
          br[k] = float(double(br[k]) + gv * wbr);
        }
      }
    }
  });
}

void resizeNearest(const int32_t* d, const int32_t* ri, const int32_t* ci, const float* x, float* y) {
  const int64_t n = d[0], h = d[1], w = d[2], c = d[3], nh = d[4], nw = d[5];
  parallelFor(n * nh, per(nw * c), [&](int64_t r0, int64_t r1) {
    for (int64_t rr = r0; rr < r1; ++rr) {
      const int64_t b = rr / nh, r = rr % nh;
      const float* src = x + (b * h + ri[r]) * w * c;
      float* out = y + rr * nw * c;
      for (int64_t q = 0; q < nw; ++q) std::memcpy(out + q * c, src + int64_t(ci[q]) * c, sizeof(float) * size_t(c));
    }
  });
}

void resizeNearestGrad(const int32_t* d, const int32_t* ri, const int32_t* ci, const float* dy, float* dx) {
  const int64_t n = d[0], h = d[1], w = d[2], c = d[3], nh = d[4], nw = d[5];
  scatterPerImage(n, h * w * c, nh * nw * c, dx, [&](int64_t b, float* dxb) {
    for (int64_t r = 0; r < nh; ++r)
      for (int64_t q = 0; q < nw; ++q) {
        const float* g = dy + ((b * nh + r) * nw + q) * c;
        float* o = dxb + (int64_t(ri[r]) * w + ci[q]) * c;
        for (int64_t k = 0; k < c; ++k) o[k] += g[k];
      }
  });
}

}  // namespace gsn

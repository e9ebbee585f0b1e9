// Winograd F(2x2, 3x3) convolutions for stride-1, dilation-1 3x3 layers (forward, backward data
// and backward weights), AVX2 + FMA only (checked at run time; elsewhere winogradAvailable() is
// false).
//
// Each 2x2 output tile needs a 4x4 input patch d; with U = G g G^T (filter, per input/output
// channel pair) and V = B^T d B (input, per channel), the tile is A^T [sum_c U_c . V_c] A: the
// channel sum for each of the 16 positions xi is a GEMM M_xi[tiles x K] = V_xi[tiles x C] U_xi[C x K],
// 16 multiply-adds per tile and channel pair where the direct convolution does 36 (2.25x fewer).
// The input and output transforms are adds only: on Zen they use the FP add ports, not the FMA ones.
//
// Tiles go in blocks (a few dozen, so the block's V and M stay in L2); a block is input transform
// -> 16 GEMMs with a 6x16 register-blocked FMA micro-kernel -> output transform into NHWC. Blocks
// are handed to the worker threads from a shared counter, each with its own V and M scratch.
// Backward data is the same routine on dy with the filter rotated 180 degrees and its in/out
// channels swapped, padding 2 - pad. Backward weights differentiates the same factorisation:
// dM = A dY A^T per tile, dU_xi = V_xi^T dM_xi summed over the tiles (GEMMs whose reduction
// runs over tiles: each worker sums its blocks into its own dU), dW = G^T dU G.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GSN_WINO 1
#include <immintrin.h>
#define GSN_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace gsn {

#ifdef GSN_WINO
namespace {

// 64-byte aligned grow-only buffer (std::vector<float> would not keep AVX loads aligned, and
// its templates instantiated here could be compiled for AVX2 and picked by the linker).
struct Buf {
  float* p = nullptr;
  size_t cap = 0;
  Buf() = default;
  Buf(const Buf&) = delete;
  ~Buf() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      cap = p ? n : 0;
      if (!p) throw std::bad_alloc();
    }
    return p;
  }
};

// The convolution actually run: input (n, ih, iw, cin), output (oh, ow, cout), 3x3 stride 1,
// top/left padding pt, pl (any sign; out-of-range input reads as zero).
struct Plan {
  int n, ih, iw, cin, oh, ow, cout, pt, pl;
  int cp, kp;  // cin, cout rounded up to 8 (V rows and M rows are padded with zeros)
  int tilesY, tilesX;
  int64_t tiles;
  int tb;  // tiles per block
  // Floats between the 16 planes of U, V and M. Multiples of 4 KB would put the 16 streams that
  // the transforms read or write in the same L1 sets (3x slower transforms, measured); each
  // plane is shifted by one row past a 4 KB multiple instead.
  int64_t uPlane, vPlane, mPlane;
  // Input channels [vc0, vc1) go into V, rows vRow floats apart (all cp of them but for the
  // filter gradient split by channels).
  int vc0, vc1, vRow;
  // Filter gradient with the workers splitting the channels rather than the tiles (see runFilterGrad).
  bool byChannel;
};

// Tile t's image and tile row and column, stepped tile by tile (divisions cost as much as a
// 32-channel tile's transform).
struct TilePos {
  int64_t b;
  int ty, tx;
  TilePos(const Plan& p, int64_t t) {
    const int64_t perImage = int64_t(p.tilesY) * p.tilesX;
    b = t / perImage;
    ty = int(t % perImage / p.tilesX);
    tx = int(t % p.tilesX);
  }
  void next(const Plan& p) {
    if (++tx < p.tilesX) return;
    tx = 0;
    if (++ty < p.tilesY) return;
    ty = 0;
    ++b;
  }
};

// Lanes [0, n) of an 8-float mask.
GSN_AVX2 inline __m256i laneMask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// U_xi for xi = 0..15, each cp x kp in panels of 16 output channels (the last 8 wide when kp is
// an odd multiple of 8): element (c, k) at xi * cp * kp + (k / 16) * 16 * cp + c * width + k % 16.
inline int64_t uOffset(const Plan& p, int c, int k) {
  const int panel = k / 16, width = std::min(16, p.kp - panel * 16);
  return int64_t(panel) * 16 * p.cp + int64_t(c) * width + k % 16;
}

// G g G^T for 8 channel pairs, g[i][j] given; stored to dst + xi * plane.
GSN_AVX2 inline void filterTile(const __m256 (&g)[3][3], float* dst, int64_t plane) {
  const __m256 half = _mm256_set1_ps(0.5f);
  __m256 t[4][3];  // G g
  for (int j = 0; j < 3; ++j) {
    const __m256 s = _mm256_add_ps(g[0][j], g[2][j]);
    t[0][j] = g[0][j];
    t[1][j] = _mm256_mul_ps(half, _mm256_add_ps(s, g[1][j]));
    t[2][j] = _mm256_mul_ps(half, _mm256_sub_ps(s, g[1][j]));
    t[3][j] = g[2][j];
  }
  for (int i = 0; i < 4; ++i) {  // (G g) G^T
    const __m256 s = _mm256_add_ps(t[i][0], t[i][2]);
    _mm256_storeu_ps(dst + (i * 4 + 0) * plane, t[i][0]);
    _mm256_storeu_ps(dst + (i * 4 + 1) * plane, _mm256_mul_ps(half, _mm256_add_ps(s, t[i][1])));
    _mm256_storeu_ps(dst + (i * 4 + 2) * plane, _mm256_mul_ps(half, _mm256_sub_ps(s, t[i][1])));
    _mm256_storeu_ps(dst + (i * 4 + 3) * plane, t[i][2]);
  }
}

// U for input channels [c0, c1) of the filter w, HWIO [3][3][cin][cout]: vectors over cout.
GSN_AVX2 void filterTransform(const Plan& p, const float* w, float* u, int c0, int c1) {
  for (int c = c0; c < c1; ++c) {
    for (int k = 0; k < p.kp; k += 8) {
      __m256 g[3][3];
      const bool tail = k + 8 > p.cout;
      const __m256i mask = laneMask(p.cout - k);
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
          const float* src = w + (int64_t(i * 3 + j) * p.cin + c) * p.cout + k;
          g[i][j] = c >= p.cin ? _mm256_setzero_ps() : tail ? _mm256_maskload_ps(src, mask) : _mm256_loadu_ps(src);
        }
      filterTile(g, u + uOffset(p, c, k), p.uPlane);
    }
  }
}

GSN_AVX2 inline void transpose8(__m256 (&r)[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(s[i], s[4 + i], 0x31);
  }
}

// The same for backward data: the plan's input channels are the filter's outputs and the
// other way round, w [3][3][p.cout][p.cin] is read rotated by 180 degrees: g'[i][j] for (k, c) =
// w[2 - i][2 - j][c][k]. 8 x 8 blocks of (c, k) transposed in registers give vectors over c.
// Input channels (rows of U) [k0, k1), multiples of 8.
GSN_AVX2 void filterTransformRotated(const Plan& p, const float* w, float* u, int k0, int k1) {
  const __m256i mask = laneMask(p.cin % 8);
  alignas(32) __m256 tap[9][8];
  for (int kb = k0; kb < k1; kb += 8) {
    for (int cb = 0; cb < p.kp; cb += 8) {
      for (int t = 0; t < 9; ++t) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i) {
          const int c = cb + i;
          const float* src = w + (int64_t(t) * p.cout + c) * p.cin + kb;
          r[i] = c >= p.cout || kb >= p.cin ? _mm256_setzero_ps()
                 : kb + 8 <= p.cin         ? _mm256_loadu_ps(src)
                                           : _mm256_maskload_ps(src, mask);
        }
        transpose8(r);
        for (int i = 0; i < 8; ++i) tap[t][i] = r[i];
      }
      for (int i = 0; i < 8; ++i) {
        __m256 g[3][3];
        for (int y = 0; y < 3; ++y)
          for (int x = 0; x < 3; ++x) g[y][x] = tap[(2 - y) * 3 + (2 - x)][i];
        filterTile(g, u + uOffset(p, kb + i, cb), p.uPlane);
      }
    }
  }
}

// B^T d B for 8 channels of one tile, d[i][j] = rows 4 apart; stored to dst + xi * plane.
GSN_AVX2 inline void inputTile(const __m256 (&d)[4][4], float* dst, int64_t plane) {
  __m256 e[4][4];  // B^T d
  for (int j = 0; j < 4; ++j) {
    e[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
    e[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
    e[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
    e[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; ++i) {  // (B^T d) B
    _mm256_store_ps(dst + (i * 4 + 0) * plane, _mm256_sub_ps(e[i][0], e[i][2]));
    _mm256_store_ps(dst + (i * 4 + 1) * plane, _mm256_add_ps(e[i][1], e[i][2]));
    _mm256_store_ps(dst + (i * 4 + 2) * plane, _mm256_sub_ps(e[i][2], e[i][1]));
    _mm256_store_ps(dst + (i * 4 + 3) * plane, _mm256_sub_ps(e[i][1], e[i][3]));
  }
}

// V for tiles [t0, t0 + nt): V_xi row r (tile t0 + r) at v + (xi * tb + r) * cp.
GSN_AVX2 void inputTransform(const Plan& p, const float* x, int64_t t0, int nt, float* v) {
  const int64_t plane = p.vPlane;
  const int64_t rowStride = int64_t(p.iw) * p.cin;
  const __m256i mask = laneMask(p.cin % 8);
  const int cfull = p.cin / 8 * 8;
  TilePos pos(p, t0);
  for (int r = 0; r < nt; ++r, pos.next(p)) {
    const int64_t b = pos.b;
    const int ty = pos.ty, tx = pos.tx;
    const int iy0 = 2 * ty - p.pt, ix0 = 2 * tx - p.pl;
    const float* src = x + ((b * p.ih + iy0) * p.iw + ix0) * p.cin;
    float* dst = v + int64_t(r) * p.vRow - p.vc0;
    __m256 d[4][4];
    int c = p.vc0;
    if (iy0 >= 0 && iy0 + 4 <= p.ih && ix0 >= 0 && ix0 + 4 <= p.iw) {  // interior: no checks
      for (; c < std::min(cfull, p.vc1); c += 8) {
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) d[i][j] = _mm256_loadu_ps(src + i * rowStride + j * p.cin + c);
        inputTile(d, dst + c, plane);
      }
    }
    if (c == p.vc1) continue;
    // Border tiles and the channel tail: out-of-range pixels and channels read as zero.
    bool in[4][4];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) in[i][j] = iy0 + i >= 0 && iy0 + i < p.ih && ix0 + j >= 0 && ix0 + j < p.iw;
    for (; c < p.vc1; c += 8) {
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const float* s = src + i * rowStride + j * p.cin + c;
          d[i][j] = !in[i][j] ? _mm256_setzero_ps() : c < cfull ? _mm256_loadu_ps(s) : _mm256_maskload_ps(s, mask);
        }
      inputTile(d, dst + c, plane);
    }
  }
}

// c[R x 8NV] (+)= sum_k a(r, k) b[k * ldb + 8q + lane], stored ldc apart. Forward (T false):
// a(r, k) = a[r * lda + k], rows of V against the filter panel. Filter gradient (T true):
// a(r, k) = a[k * lda + r], the R rows being adjacent channels of one tile and the reduction
// running over the block's tiles; `add` accumulates into c (a worker's dU over its blocks).
template <int R, int NV, bool T>
GSN_AVX2 void micro(const float* a, int64_t lda, const float* b, int64_t ldb, int depth, bool add, float* c, int64_t ldc) {
  __m256 acc[R][NV];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) acc[r][q] = add ? _mm256_load_ps(c + r * ldc + 8 * q) : _mm256_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) bv[q] = _mm256_load_ps(b + k * ldb + 8 * q);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(T ? a + k * lda + r : a + r * lda + k);
#pragma GCC unroll 2
      for (int q = 0; q < NV; ++q) acc[r][q] = _mm256_fmadd_ps(av, bv[q], acc[r][q]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < NV; ++q) _mm256_store_ps(c + r * ldc + 8 * q, acc[r][q]);
}

// micro for 1..6 rows (the last rows of a block).
template <int NV, bool T>
GSN_AVX2 void microRows(int rows, const float* a, int64_t lda, const float* b, int64_t ldb, int depth, bool add, float* c,
                        int64_t ldc) {
  switch (rows) {
    case 1: micro<1, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
    case 2: micro<2, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
    case 3: micro<3, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
    case 4: micro<4, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
    case 5: micro<5, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
    default: micro<6, NV, T>(a, lda, b, ldb, depth, add, c, ldc); break;
  }
}

// dU_xi (+)= V_xi^T dM_xi over the block's nt tiles for V's channels; dU_xi [cp][kp] at
// du + xi * uPlane.
GSN_AVX2 void blockGemmT(const Plan& p, const float* v, const float* dm, int nt, bool add, float* du) {
  for (int xi = 0; xi < 16; ++xi) {
    const float* vx = v + xi * p.vPlane - p.vc0;
    const float* mx = dm + xi * p.mPlane;
    float* ux = du + xi * p.uPlane;
    for (int k = 0; k < p.kp; k += 16) {
      const int width = std::min(16, p.kp - k);
      for (int c = p.vc0; c < p.vc1; c += 6) {
        const int rows = std::min(6, p.vc1 - c);
        if (width == 16) microRows<2, true>(rows, vx + c, p.vRow, mx + k, p.kp, nt, add, ux + int64_t(c) * p.kp + k, p.kp);
        else microRows<1, true>(rows, vx + c, p.vRow, mx + k, p.kp, nt, add, ux + int64_t(c) * p.kp + k, p.kp);
      }
    }
  }
}

// dM = A dY A^T for tiles [t0, t0 + nt) of the output gradient dy (the forward's output tiles;
// outputs past the edge are zero): dM_xi row r at dm + xi * mPlane + r * kp.
GSN_AVX2 void gradTransform(const Plan& p, const float* dy, int64_t t0, int nt, float* dm) {
  const int64_t plane = p.mPlane;
  const __m256i mask = laneMask(p.cout % 8);
  const int kfull = p.cout / 8 * 8;
  TilePos pos(p, t0);
  for (int r = 0; r < nt; ++r, pos.next(p)) {
    const int oy = 2 * pos.ty, ox = 2 * pos.tx;
    const bool in[2][2] = {{true, ox + 1 < p.ow}, {oy + 1 < p.oh, oy + 1 < p.oh && ox + 1 < p.ow}};
    const float* src = dy + ((pos.b * p.oh + oy) * p.ow + ox) * p.cout;
    float* dst = dm + int64_t(r) * p.kp;
    for (int k = 0; k < p.kp; k += 8) {
      __m256 y[2][2];
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          const float* s = src + (int64_t(i) * p.ow + j) * p.cout + k;
          y[i][j] = !in[i][j] ? _mm256_setzero_ps() : k < kfull ? _mm256_loadu_ps(s) : _mm256_maskload_ps(s, mask);
        }
      __m256 e[4][2];  // A dY
      for (int j = 0; j < 2; ++j) {
        e[0][j] = y[0][j];
        e[1][j] = _mm256_add_ps(y[0][j], y[1][j]);
        e[2][j] = _mm256_sub_ps(y[0][j], y[1][j]);
        e[3][j] = _mm256_sub_ps(_mm256_setzero_ps(), y[1][j]);
      }
      for (int i = 0; i < 4; ++i) {  // (A dY) A^T
        _mm256_store_ps(dst + (i * 4 + 0) * plane + k, e[i][0]);
        _mm256_store_ps(dst + (i * 4 + 1) * plane + k, _mm256_add_ps(e[i][0], e[i][1]));
        _mm256_store_ps(dst + (i * 4 + 2) * plane + k, _mm256_sub_ps(e[i][0], e[i][1]));
        _mm256_store_ps(dst + (i * 4 + 3) * plane + k, _mm256_sub_ps(_mm256_setzero_ps(), e[i][1]));
      }
    }
  }
}

// dW [3][3][cin][cout] for input channels [c0, c1): G^T (sum of the workers' dU) G.
GSN_AVX2 void filterGradTransform(const Plan& p, float* const* du, int workers, int c0, int c1, float* dw) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256i mask = laneMask(p.cout % 8);
  const int kfull = p.cout / 8 * 8;
  const int64_t tap = int64_t(p.cin) * p.cout;
  for (int c = c0; c < c1; ++c) {
    for (int k = 0; k < p.cout; k += 8) {
      __m256 u[4][4];
      for (int xi = 0; xi < 16; ++xi) {
        const int64_t at = xi * p.uPlane + int64_t(c) * p.kp + k;
        __m256 sum = _mm256_load_ps(du[0] + at);
        for (int w = 1; w < workers; ++w) sum = _mm256_add_ps(sum, _mm256_load_ps(du[w] + at));
        u[xi / 4][xi % 4] = sum;
      }
      __m256 t[3][4];  // G^T dU
      for (int j = 0; j < 4; ++j) {
        const __m256 a = _mm256_mul_ps(half, _mm256_add_ps(u[1][j], u[2][j]));
        t[0][j] = _mm256_add_ps(u[0][j], a);
        t[1][j] = _mm256_mul_ps(half, _mm256_sub_ps(u[1][j], u[2][j]));
        t[2][j] = _mm256_add_ps(a, u[3][j]);
      }
      float* dst = dw + int64_t(c) * p.cout + k;
      for (int i = 0; i < 3; ++i) {  // (G^T dU) G
        const __m256 a = _mm256_mul_ps(half, _mm256_add_ps(t[i][1], t[i][2]));
        const __m256 g[3] = {_mm256_add_ps(t[i][0], a), _mm256_mul_ps(half, _mm256_sub_ps(t[i][1], t[i][2])),
                             _mm256_add_ps(a, t[i][3])};
        for (int j = 0; j < 3; ++j) {
          if (k < kfull) _mm256_storeu_ps(dst + (i * 3 + j) * tap, g[j]);
          else _mm256_maskstore_ps(dst + (i * 3 + j) * tap, mask, g[j]);
        }
      }
    }
  }
}

// M_xi = V_xi U_xi for the block's nt tiles; M_xi row r at m + (xi * tb + r) * kp.
GSN_AVX2 void blockGemm(const Plan& p, const float* v, const float* u, int nt, float* m) {
  const int64_t vPlane = p.vPlane, mPlane = p.mPlane, uPlane = p.uPlane;
  for (int xi = 0; xi < 16; ++xi) {
    const float* vx = v + xi * vPlane;
    float* mx = m + xi * mPlane;
    for (int k = 0; k < p.kp; k += 16) {
      const int width = std::min(16, p.kp - k);
      const float* panel = u + xi * uPlane + int64_t(k) * p.cp;
      for (int r = 0; r < nt; r += 6) {
        const int rows = std::min(6, nt - r);
        if (width == 16) microRows<2, false>(rows, vx + int64_t(r) * p.cp, p.cp, panel, 16, p.cp, false, mx + int64_t(r) * p.kp + k, p.kp);
        else microRows<1, false>(rows, vx + int64_t(r) * p.cp, p.cp, panel, 8, p.cp, false, mx + int64_t(r) * p.kp + k, p.kp);
      }
    }
  }
}

// y for tiles [t0, t0 + nt) from M: A^T M A, the tile's rows and columns past the output dropped.
GSN_AVX2 void outputTransform(const Plan& p, const float* m, int64_t t0, int nt, float* y) {
  const int64_t plane = p.mPlane;
  const __m256i mask = laneMask(p.cout % 8);
  const int kfull = p.cout / 8 * 8;
  TilePos pos(p, t0);
  for (int r = 0; r < nt; ++r, pos.next(p)) {
    const int64_t b = pos.b;
    const int ty = pos.ty, tx = pos.tx;
    const int oy = 2 * ty, ox = 2 * tx;
    const bool row1 = oy + 1 < p.oh, col1 = ox + 1 < p.ow;
    float* yb = y + ((b * p.oh + oy) * p.ow + ox) * p.cout;
    const float* src = m + int64_t(r) * p.kp;
    for (int k = 0; k < p.cout; k += 8) {
      __m256 s[2][4];  // A^T M
      for (int j = 0; j < 4; ++j) {
        const __m256 m0 = _mm256_load_ps(src + (0 * 4 + j) * plane + k), m1 = _mm256_load_ps(src + (1 * 4 + j) * plane + k);
        const __m256 m2 = _mm256_load_ps(src + (2 * 4 + j) * plane + k), m3 = _mm256_load_ps(src + (3 * 4 + j) * plane + k);
        const __m256 a = _mm256_add_ps(m1, m2), d = _mm256_sub_ps(m1, m2);
        s[0][j] = _mm256_add_ps(m0, a);
        s[1][j] = _mm256_sub_ps(d, m3);
      }
      __m256 o[2][2];  // (A^T M) A
      for (int i = 0; i < 2; ++i) {
        const __m256 a = _mm256_add_ps(s[i][1], s[i][2]), d = _mm256_sub_ps(s[i][1], s[i][2]);
        o[i][0] = _mm256_add_ps(s[i][0], a);
        o[i][1] = _mm256_sub_ps(d, s[i][3]);
      }
      for (int i = 0; i < (row1 ? 2 : 1); ++i)
        for (int j = 0; j < (col1 ? 2 : 1); ++j) {
          float* dst = yb + (int64_t(i) * p.ow + j) * p.cout + k;
          if (k < kfull) _mm256_storeu_ps(dst, o[i][j]);
          else _mm256_maskstore_ps(dst, mask, o[i][j]);
        }
    }
  }
}

Buf gU;
Buf gScratch[64], gDU[64];

int envKB(const char* name, int dflt) {
  const char* v = std::getenv(name);
  const int kb = v ? std::atoi(v) : 0;
  return (kb > 0 ? kb : dflt) * 1024;
}

// Tiles per block. Forward / backward data: the block's V and M (16 tb (cp + kp) floats) in
// ~256 KB (the two hardware threads of a core may share its L2), 12 to 240 tiles. Filter
// gradient: the tiles are the GEMMs' reduction, and each block reads and writes its worker's
// whole dU (16 cp kp floats): larger blocks, ~1 MB of V and dM (one xi's share, what a GEMM
// reuses, still fits L2) and at least 96 tiles (for 256+ channels, where dU is 4+ MB), but no
// more than an equal share of the tiles per worker (all of them when split by channels).
int blockTiles(int cp, int kp, int64_t tiles, bool filterGrad, bool byChannel) {
  static const int budget = envKB("GAN_SEGMENTER_WINOGRAD_BLOCK_KB", 256);
  static const int budgetGrad = envKB("GAN_SEGMENTER_WINOGRAD_GRAD_BLOCK_KB", 1024);
  if (!filterGrad) return std::max(12, std::min(240, budget / (16 * 4 * (cp + kp)) / 6 * 6));
  const int64_t share = byChannel ? tiles : (tiles + threads() - 1) / threads();
  const int64_t tb = std::min<int64_t>({std::max(96, budgetGrad / (16 * 4 * (cp + kp))), 1200, (share + 5) / 6 * 6});
  return int(std::max<int64_t>(6, tb / 6 * 6));
}

// A second thread is woken only for work worth it (waking one costs tens of microseconds on these
// machines): below these sizes the same parts run inline, in order, so results do not change.
constexpr int64_t kParallelMacs = int64_t(1) << 21;   // 16 GEMM MACs per tile and channel pair
constexpr int64_t kParallelFilter = int64_t(1) << 15;  // channel pairs of a filter transform
inline int64_t tileMacs(const Plan& p) { return int64_t(16) * p.tiles * p.cp * p.kp; }
// minPerThread for parallelFor over `parts`: all of them (inline) when the work is small.
inline int64_t partsIf(bool worth, int64_t parts, int64_t min) { return worth ? min : std::max<int64_t>(parts, 1); }

// rotated: w is the original convolution's filter and this runs its backward data.
void run(const Plan& p, const float* x, const float* w, bool rotated, float* y) {
  float* u = gU.get(size_t(16) * p.uPlane);
  const bool bigFilter = int64_t(p.cp) * p.kp >= kParallelFilter;
  if (rotated) parallelFor(p.cp / 8, partsIf(bigFilter, p.cp / 8, 1), [&](int64_t b, int64_t e) { filterTransformRotated(p, w, u, int(b) * 8, int(e) * 8); });
  else parallelFor(p.cp, partsIf(bigFilter, p.cp, 8), [&](int64_t b, int64_t e) { filterTransform(p, w, u, int(b), int(e)); });
  const int64_t blocks = (p.tiles + p.tb - 1) / p.tb;
  const int workers = int(std::min<int64_t>({int64_t(threads()), blocks, int64_t(64)}));
  const size_t vSize = size_t(16) * p.vPlane, mSize = size_t(16) * p.mPlane;
  float* scratch[64];
  for (int i = 0; i < workers; ++i) scratch[i] = gScratch[i].get(vSize + mSize);  // before the threads start
  std::atomic<int64_t> next{0};
  parallelFor(workers, partsIf(tileMacs(p) >= kParallelMacs, workers, 1), [&](int64_t w0, int64_t w1) {
    for (int64_t wi = w0; wi < w1; ++wi) {
      float* v = scratch[wi];
      float* m = v + vSize;
      for (int64_t blk; (blk = next.fetch_add(1)) < blocks;) {
        const int64_t t0 = blk * p.tb;
        const int nt = int(std::min<int64_t>(p.tb, p.tiles - t0));
        inputTransform(p, x, t0, nt, v);
        blockGemm(p, v, u, nt, m);
        outputTransform(p, m, t0, nt, y);
      }
    }
  });
}

Plan plan(int n, int ih, int iw, int cin, int oh, int ow, int cout, int pt, int pl, bool filterGrad = false) {
  Plan p;
  p.n = n, p.ih = ih, p.iw = iw, p.cin = cin, p.oh = oh, p.ow = ow, p.cout = cout, p.pt = pt, p.pl = pl;
  p.cp = (cin + 7) / 8 * 8;
  p.kp = (cout + 7) / 8 * 8;
  p.tilesY = (oh + 1) / 2;
  p.tilesX = (ow + 1) / 2;
  p.tiles = int64_t(n) * p.tilesY * p.tilesX;
  // Few tiles for the channels (an 8x8 map at batch 8 is 128 tiles): a second full dU would cost
  // more than the GEMMs save.
  p.byChannel = filterGrad && threads() > 1 && p.tiles <= 2 * cin && p.cp >= 16;
  p.tb = blockTiles(p.cp, p.kp, p.tiles, filterGrad, p.byChannel);
  auto stagger = [](int64_t size, int row) { return (size + 1023) / 1024 * 1024 + row; };
  p.uPlane = stagger(int64_t(p.cp) * p.kp, 16);
  p.vc0 = 0, p.vc1 = p.cp, p.vRow = p.cp;
  p.vPlane = stagger(int64_t(p.tb) * p.cp, p.cp);
  p.mPlane = stagger(int64_t(p.tb) * p.kp, p.kp);
  return p;
}

// Filter gradient. Many tiles: each worker sums V^T dM over its blocks into its own dU, and
// the sum of those is transformed back to dw. p.byChannel: the workers split the input channels
// instead, each transforming all of dY for itself, and write disjoint rows of one dU.
void runFilterGrad(const Plan& p, const float* x, const float* dy, float* dw) {
  const int64_t blocks = (p.tiles + p.tb - 1) / p.tb;
  const bool byChannel = p.byChannel;
  const int workers = int(std::min<int64_t>({int64_t(threads()), byChannel ? p.cp / 8 : blocks, int64_t(64)}));
  const size_t vSize = size_t(16) * p.vPlane, mSize = size_t(16) * p.mPlane;
  float* scratch[64];
  float* du[64];
  for (int i = 0; i < workers; ++i) {  // before the threads start
    scratch[i] = gScratch[i].get(vSize + mSize);
    if (i == 0 || !byChannel) du[i] = gDU[i].get(size_t(16) * p.uPlane);
  }
  parallelFor(workers, partsIf(tileMacs(p) >= kParallelMacs, workers, 1), [&](int64_t w0, int64_t w1) {
    for (int64_t wi = w0; wi < w1; ++wi) {
      float* v = scratch[wi];
      float* m = v + vSize;
      if (byChannel) {
        Plan q = p;  // this worker's channels, multiples of 8
        q.vc0 = int(p.cp / 8 * wi / workers * 8);
        q.vc1 = int(p.cp / 8 * (wi + 1) / workers * 8);
        q.vRow = q.vc1 - q.vc0;
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t t0 = blk * p.tb;
          const int nt = int(std::min<int64_t>(p.tb, p.tiles - t0));
          inputTransform(q, x, t0, nt, v);
          gradTransform(q, dy, t0, nt, m);
          blockGemmT(q, v, m, nt, blk > 0, du[0]);
        }
        continue;
      }
      // Static contiguous shares of the blocks, not a shared counter: which blocks a worker sums
      // into its dU must not depend on timing, or the rounding of dw would differ from run to run.
      bool add = false;
      const int64_t b0 = blocks * wi / workers, b1 = blocks * (wi + 1) / workers;
      for (int64_t blk = b0; blk < b1; ++blk, add = true) {
        const int64_t t0 = blk * p.tb;
        const int nt = int(std::min<int64_t>(p.tb, p.tiles - t0));
        inputTransform(p, x, t0, nt, v);
        gradTransform(p, dy, t0, nt, m);
        blockGemmT(p, v, m, nt, add, du[wi]);
      }
      // A worker without blocks (fewer blocks than workers) adds zeros.
      if (!add) std::memset(du[wi], 0, sizeof(float) * 16 * p.uPlane);
    }
  });
  parallelFor(p.cin, partsIf(int64_t(p.cp) * p.kp >= kParallelFilter, p.cin, 8), [&](int64_t b, int64_t e) { filterGradTransform(p, du, byChannel ? 1 : workers, int(b), int(e), dw); });
}

}  // namespace

bool winogradAvailable() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

bool winogradFits(const ConvGeom& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.n > 0 && g.h > 0 && g.w > 0 &&
         g.c > 0 && g.oc > 0 && g.oh > 0 && g.ow > 0;
}

void winogradForward(const ConvGeom& g, const float* x, const float* w, float* y) {
  run(plan(g.n, g.h, g.w, g.c, g.oh, g.ow, g.oc, g.padTop, g.padLeft), x, w, false, y);
}

void winogradBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  // dx[iy, ix, c] = sum dy[iy - (2 - padTop) + i, ix - (2 - padLeft) + j, k] w[2 - i, 2 - j, c, k]:
  // a forward convolution of dy by the filter rotated 180 degrees, channels swapped.
  run(plan(g.n, g.oh, g.ow, g.oc, g.h, g.w, g.c, 2 - g.padTop, 2 - g.padLeft), dy, w, true, dx);
}

void winogradBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  runFilterGrad(plan(g.n, g.h, g.w, g.c, g.oh, g.ow, g.oc, g.padTop, g.padLeft, true), x, dy, dw);
}

#else  // no AVX2 build: never selected

bool winogradAvailable() { return false; }
bool winogradFits(const ConvGeom&) { return false; }
void winogradForward(const ConvGeom&, const float*, const float*, float*) {}
void winogradBackpropInput(const ConvGeom&, const float*, const float*, float*) {}
void winogradBackpropFilter(const ConvGeom&, const float*, const float*, float*) {}

#endif

}  // namespace gsn

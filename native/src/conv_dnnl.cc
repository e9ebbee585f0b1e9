// NHWC convolutions through oneDNN's convolution primitives (forward, backward data,
// backward weights), compiled only when binding.gyp found oneDNN 2.x's headers (it then defines
// GSN_DNNL and links -ldnnl). conv.cc calls dnnlConv first and falls back to im2col + SGEMM
// whenever it returns false: the geometry is one im2col does faster (below), or oneDNN could not
// create a primitive for it.
//
// Layouts: activations stay nhwc for small channel counts; otherwise oneDNN picks its own
// (blocked, nChw8c on AVX2) and cached reorders convert from and to nhwc around the primitive.
// Filters are tfjs's HWIO; oneDNN always picks its own layout for them (a cached reorder converts
// the filter on every call, since it changes every training step): handing it HWIO itself only
// gets its im2col + GEMM implementation, slower than the direct kernels plus the reorder.
// Measured on a 2-core AVX2 EPYC, 2 threads, ms for the UNet step's 17 convolution shapes
// (batch 8, forward / backward data / backward weights): im2col 190 / 167 / 166; oneDNN with nhwc
// activations 151 / 144 / 176; with blocked activations 143 / 142 / 173; HWIO filters 194 / 237 / 270.
#ifdef GSN_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>

#include "kernels.h"

namespace gsn {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum Kind { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };
enum Layout { kIm2col = 0, kNhwc = 1, kBlocked = 2 };

// Which path a geometry takes. oneDNN's direct kernels block the output width in registers, so
// outputs narrower than 8 pixels leave them half idle while im2col's GEMM stays efficient; the
// weight gradient of 8-pixel-wide outputs with many input channels is also faster as one tall
// GEMM. Below 8 channels (RGB in/out, 1x1 heads), blocking pads the channels to 8 and costs more
// in reorders than it saves. `all`: oneDNN for every geometry (GAN_SEGMENTER_CONV=oneDNN-all).
int pickLayout(const ConvGeom& g, int kind, bool all) {
  if (!all) {
    if (g.ow < 8) return kIm2col;
    if (kind == kBwdWeights && g.ow == 8 && g.sw == 1 && g.c >= 128) return kIm2col;
  }
  return g.c >= 8 && g.oc >= 8 ? kBlocked : kNhwc;
}

struct Key {
  ConvGeom g;
  int kind, threads, layout;
  bool operator==(const Key& o) const { return std::memcmp(this, &o, sizeof(Key)) == 0; }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    const auto* p = reinterpret_cast<const unsigned char*>(&k);
    size_t h = 1469598103934665603ull;  // FNV-1a over the bytes (Key is all ints, no padding)
    for (size_t i = 0; i < sizeof(Key); ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
  }
};
static_assert(sizeof(Key) == sizeof(int) * (sizeof(ConvGeom) / sizeof(int) + 3), "Key must have no padding");

// Reorder targets, shared by all primitives (the addon runs on one JS thread): slot k holds
// argument k's converted copy. Grow-only, 64-byte aligned.
struct Slot {
  void* p = nullptr;
  size_t cap = 0;
  ~Slot() { std::free(p); }
  void* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = std::aligned_alloc(64, (n + 63) / 64 * 64);
      cap = p ? n : 0;
      if (!p) throw std::bad_alloc();
    }
    return p;
  }
};
Slot gSlots[3];

// A primitive argument given in the user's layout (nhwc activations, HWIO filter): when the
// primitive wants another layout, a cached reorder into (inputs) or out of (outputs) a slot.
struct Arg {
  int id;  // DNNL_ARG_*
  memory::desc user, prim;
  bool reorder = false;
  dnnl::reorder r;
};

// One cached convolution: the primitive and its three arguments; forward: a = src, b = weights,
// c = dst; backward data: a = diff_dst, b = weights, c = diff_src; backward weights: a = src,
// b = diff_dst, c = diff_weights. a and b are read, c is written.
struct Entry {
  bool ok = false;
  dnnl::primitive conv;
  Arg a, b, c;
  std::string impl;
};

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

// oneDNN wants both paddings; tfjs gives the top/left ones and the output size. The bottom/right
// padding is what makes (in + top + bottom - span) / stride + 1 == out; rows of the input past the
// last window (possible with 'valid' and strides > 1) need no negative padding, the division floors.
bool padsAfter(int in, int k, int s, int d, int before, int out, int64_t& after) {
  const int64_t span = int64_t(k - 1) * d + 1;
  after = std::max<int64_t>(0, int64_t(out - 1) * s + span - in - before);
  return before >= 0 && in + before + after - span >= 0 && (in + before + after - span) / s + 1 == out;
}

void setArg(Arg& a, int id, const memory::desc& user, const memory::desc& prim, bool output) {
  dnnl::engine& eng = engine();
  a.id = id;
  a.user = user;
  a.prim = prim;
  if (prim == user) return;
  a.reorder = true;
  a.r = output ? dnnl::reorder(dnnl::reorder::primitive_desc(eng, prim, eng, user))
               : dnnl::reorder(dnnl::reorder::primitive_desc(eng, user, eng, prim));
}

Entry make(const Key& key) {
  const ConvGeom& g = key.g;
  Entry e;
  int64_t padB, padR;
  if (!padsAfter(g.h, g.kh, g.sh, g.dh, g.padTop, g.oh, padB) || !padsAfter(g.w, g.kw, g.sw, g.dw, g.padLeft, g.ow, padR)) return e;
  const memory::dims strides = {g.sh, g.sw}, dil = {g.dh - 1, g.dw - 1}, padL = {g.padTop, g.padLeft}, padRt = {padB, padR};
  const memory::dims srcDims = {g.n, g.c, g.h, g.w}, dstDims = {g.n, g.oc, g.oh, g.ow}, wDims = {g.oc, g.c, g.kh, g.kw};
  const memory::desc src(srcDims, dt::f32, tag::nhwc), dst(dstDims, dt::f32, tag::nhwc), wUser(wDims, dt::f32, tag::hwio);
  const tag act = key.layout == kBlocked ? tag::any : tag::nhwc;
  const memory::desc srcAny(srcDims, dt::f32, act), dstAny(dstDims, dt::f32, act), wAny(wDims, dt::f32, tag::any);
  const auto algo = dnnl::algorithm::convolution_direct;
  dnnl::engine& eng = engine();
  using fwd = dnnl::convolution_forward;
  // The forward primitive, also the backward ones' hint (forward_training for that).
  const fwd::primitive_desc fpd(fwd::desc(dnnl::prop_kind::forward_training, algo, srcAny, wAny, dstAny, strides, dil, padL, padRt), eng);
  if (key.kind == kFwd) {
    e.conv = fwd(fpd);
    setArg(e.a, DNNL_ARG_SRC, src, fpd.src_desc(), false);
    setArg(e.b, DNNL_ARG_WEIGHTS, wUser, fpd.weights_desc(), false);
    setArg(e.c, DNNL_ARG_DST, dst, fpd.dst_desc(), true);
    e.impl = fpd.impl_info_str();
  } else if (key.kind == kBwdData) {
    using bwd = dnnl::convolution_backward_data;
    const bwd::primitive_desc pd(bwd::desc(algo, srcAny, wAny, dstAny, strides, dil, padL, padRt), eng, fpd);
    e.conv = bwd(pd);
    setArg(e.a, DNNL_ARG_DIFF_DST, dst, pd.diff_dst_desc(), false);
    setArg(e.b, DNNL_ARG_WEIGHTS, wUser, pd.weights_desc(), false);
    setArg(e.c, DNNL_ARG_DIFF_SRC, src, pd.diff_src_desc(), true);
    e.impl = pd.impl_info_str();
  } else {
    using bww = dnnl::convolution_backward_weights;
    const bww::primitive_desc pd(bww::desc(algo, srcAny, wAny, dstAny, strides, dil, padL, padRt), eng, fpd);
    e.conv = bww(pd);
    setArg(e.a, DNNL_ARG_SRC, src, pd.src_desc(), false);
    setArg(e.b, DNNL_ARG_DIFF_DST, dst, pd.diff_dst_desc(), false);
    setArg(e.c, DNNL_ARG_DIFF_WEIGHTS, wUser, pd.diff_weights_desc(), true);
    e.impl = pd.impl_info_str();
  }
  e.ok = true;
  return e;
}

// Primitives by geometry; one that could not be created is remembered (nullptr: im2col).
Entry* lookup(const ConvGeom& g, int kind, bool all) {
  if (g.n <= 0 || g.h <= 0 || g.w <= 0 || g.c <= 0 || g.oc <= 0 || g.oh <= 0 || g.ow <= 0 || g.kh <= 0 || g.kw <= 0 ||
      g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0)
    return nullptr;
  Key key;
  std::memset(&key, 0, sizeof key);
  key.g = g;
  key.kind = kind;
  key.layout = pickLayout(g, kind, all);
  if (key.layout == kIm2col) return nullptr;
  key.threads = threads();  // oneDNN splits the work by the thread count when it builds a primitive
  static std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> cache;
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto e = std::make_unique<Entry>();
    try {
      *e = make(key);
    } catch (const dnnl::error&) {
      e->ok = false;  // e.g. a geometry no implementation takes: im2col from now on
    }
    it = cache.emplace(key, std::move(e)).first;
  }
  return it->second->ok ? it->second.get() : nullptr;
}

}  // namespace

bool dnnlConv(int kind, const ConvGeom& g, const float* a, const float* b, float* c, bool all) {
  SignalsDeferred deferred;  // gemm-based primitives run oneDNN's JIT SGEMM kernels (see kernels.h)
  Entry* e = lookup(g, kind, all);
  if (!e) return false;
  try {
    dnnl::engine& eng = engine();
    dnnl::stream& s = stream();
    memory ua(e->a.user, eng, const_cast<float*>(a)), ub(e->b.user, eng, const_cast<float*>(b)), uc(e->c.user, eng, c);
    memory pa = e->a.reorder ? memory(e->a.prim, eng, gSlots[0].get(e->a.prim.get_size())) : ua;
    memory pb = e->b.reorder ? memory(e->b.prim, eng, gSlots[1].get(e->b.prim.get_size())) : ub;
    memory pc = e->c.reorder ? memory(e->c.prim, eng, gSlots[2].get(e->c.prim.get_size())) : uc;
    if (e->a.reorder) e->a.r.execute(s, ua, pa);
    if (e->b.reorder) e->b.r.execute(s, ub, pb);
    e->conv.execute(s, {{e->a.id, pa}, {e->b.id, pb}, {e->c.id, pc}});
    if (e->c.reorder) e->c.r.execute(s, pc, uc);
    s.wait();
  } catch (const dnnl::error&) {
    return false;
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

const char* dnnlConvImpl(const ConvGeom& g, int kind, bool all) {
  SignalsDeferred deferred;  // as in dnnlConv: creating the engine / primitives calls into oneDNN
  Entry* e = lookup(g, kind, all);
  return e ? e->impl.c_str() : "";
}

}  // namespace gsn
#endif  // GSN_DNNL

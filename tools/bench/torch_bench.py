#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same workloads as bench/models.ts, timed the same way.

Usage: /usr/bin/python3 tools/bench/torch_bench.py --workload unet64 [--warmup 2] [--steps 5] [--threads 2] [--batch N]
`--batch` (ilsgan64 and ganseg64 only) overrides their batch (32, 64) for checks at a smaller size; `npm run bench`
never passes it, and the tfjs side has no such switch (bench/demo-workloads.ts: `ganseg64Workload(batch)` only).
Prints one JSON object on the last line: {"workload", "ms", "cpuMs" (process CPU time, all threads), "times", "maxRssMB", "info"}.
Needs Debian's python3-torch (PyTorch 1.13, CPU).
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint


def double_conv(cin, cout, mid=None):
    mid = mid or cout
    return nn.Sequential(
        nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
        nn.Conv2d(mid, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.conv = double_conv(cin, cout, cin // 2)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class UNet(nn.Module):
    """milesial/Pytorch-UNet with bilinear upsampling (factor 2), base width `b`."""

    def __init__(self, b=44, cin=3, cout=1):
        super().__init__()
        f = 2
        self.inc = double_conv(cin, b)
        self.downs = nn.ModuleList([
            nn.Sequential(nn.MaxPool2d(2), double_conv(i, o))
            for i, o in [(b, 2 * b), (2 * b, 4 * b), (4 * b, 8 * b), (8 * b, 16 * b // f)]])
        self.ups = nn.ModuleList([
            Up(16 * b // f + 8 * b, 8 * b // f), Up(8 * b // f + 4 * b, 4 * b // f),
            Up(4 * b // f + 2 * b, 2 * b // f), Up(2 * b // f + b, b)])
        self.outc = nn.Conv2d(b, cout, 1)

    def forward(self, x):
        xs = [self.inc(x)]
        for d in self.downs:
            xs.append(d(xs[-1]))
        h = xs.pop()
        for u in self.ups:
            h = u(h, xs.pop())
        return self.outc(h)


# ------------------------------------------------------------------ StyleGAN2-like

class ModConv(nn.Module):
    """Modulated conv, non-fused form: x * s, conv, then demodulate per sample/out channel."""

    def __init__(self, cin, cout, k, wdim, demod=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.affine = nn.Linear(wdim, cin)
        nn.init.ones_(self.affine.bias)
        self.scale = 1 / (cin * k * k) ** 0.5
        self.demod, self.pad = demod, k // 2

    def forward(self, x, w):
        s = self.affine(w)  # [N, cin]
        wt = self.weight * self.scale
        y = F.conv2d(x * s[:, :, None, None], wt, padding=self.pad)
        if self.demod:
            d = torch.rsqrt((s * s) @ (wt * wt).sum(dim=(2, 3)).t() + 1e-8)  # [N, cout]
            y = y * d[:, :, None, None]
        return y


class Generator(nn.Module):
    def __init__(self, res=64, zdim=128, ch=(256, 256, 128, 64, 32), nmap=4):
        super().__init__()
        layers = []
        for _ in range(nmap):
            layers += [nn.Linear(zdim, zdim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        self.const = nn.Parameter(torch.randn(1, ch[0], 4, 4))
        self.convs = nn.ModuleList()
        self.biases = nn.ParameterList()
        self.torgb = nn.ModuleList()
        cin = ch[0]
        self.conv0 = ModConv(cin, ch[0], 3, zdim)
        self.bias0 = nn.Parameter(torch.zeros(ch[0]))
        self.rgb0 = ModConv(ch[0], 3, 1, zdim, demod=False)
        for c in ch[1:]:
            self.convs.append(nn.ModuleList([ModConv(cin, c, 3, zdim), ModConv(c, c, 3, zdim)]))
            self.biases.append(nn.Parameter(torch.zeros(2, c)))
            self.torgb.append(ModConv(c, 3, 1, zdim, demod=False))
            cin = c

    def features(self, z, zero_conv0=False):
        """Image and both StyledConv outputs per block from 8x8 on; zero_conv0 is Labels4Free's back=True."""
        w = self.mapping(z)
        x = self.const.expand(z.shape[0], -1, -1, -1)
        x = F.leaky_relu(self.conv0(x, w) + self.bias0[None, :, None, None], 0.2)
        if zero_conv0:
            x = x * 0
        rgb = self.rgb0(x, w)
        feats = []
        for (c1, c2), b, trgb in zip(self.convs, self.biases, self.torgb):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = F.leaky_relu(c1(x, w) + b[0][None, :, None, None], 0.2)
            feats.append(x)
            x = F.leaky_relu(c2(x, w) + b[1][None, :, None, None], 0.2)
            feats.append(x)
            rgb = F.interpolate(rgb, scale_factor=2, mode="nearest") + trgb(x, w)
        return rgb, feats

    def forward(self, z):
        return self.features(z)[0]


class AlphaNet(nn.Module):
    """Labels4Free's bg_extractor_repro (model_new.py): 1x1 conv to 3 channels per feature map, pairs
    concatenated, bicubic x2 (align_corners), 1x1 merge + LeakyReLU 0.2, final 1x1 conv and sigmoid."""

    def __init__(self, feature_channels, c=3):
        super().__init__()
        self.laterals = nn.ModuleList([nn.Conv2d(ch, c, 1) for ch in feature_channels])
        pairs = len(feature_channels) // 2
        self.merges = nn.ModuleList([nn.Conv2d(4 * c, 2 * c, 1) for _ in range(pairs - 2)])
        self.head = nn.Conv2d(2 * c, 1, 1)

    def forward(self, feats):
        lat = lambda k: torch.cat([self.laterals[2 * k](feats[2 * k]), self.laterals[2 * k + 1](feats[2 * k + 1])], 1)
        up = lambda x: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=True)
        pairs = len(feats) // 2
        out = up(lat(0))
        for k in range(1, pairs - 1):
            out = up(F.leaky_relu(self.merges[k - 1](torch.cat([lat(k), out], 1)), 0.2))
        return torch.sigmoid(self.head(lat(pairs - 1) + out))


class Discriminator(nn.Module):
    def __init__(self, ch=(32, 64, 128, 256, 256)):
        super().__init__()
        self.frgb = nn.Conv2d(3, ch[0], 1)
        self.blocks = nn.ModuleList([
            nn.ModuleList([nn.Conv2d(a, a, 3, padding=1), nn.Conv2d(a, b, 3, padding=1), nn.Conv2d(a, b, 1, bias=False)])
            for a, b in zip(ch[:-1], ch[1:])])
        self.fc = nn.Linear(ch[-1] * 4 * 4, ch[-1])
        self.out = nn.Linear(ch[-1], 1)

    def forward(self, x):
        x = F.leaky_relu(self.frgb(x), 0.2)
        for c1, c2, skip in self.blocks:
            h = F.leaky_relu(c1(x), 0.2)
            h = F.avg_pool2d(F.leaky_relu(c2(h), 0.2), 2)
            x = (h + skip(F.avg_pool2d(x, 2))) * (0.5 ** 0.5)
        x = F.leaky_relu(self.fc(x.flatten(1)), 0.2)
        return self.out(x)


# ------------------------------------------------------------------ the demo's small models

class DemoUNet(nn.Module):
    """milesial/Pytorch-UNet with transposed-conv upsampling (bilinear=False), base width `b`, `depth` levels:
    the library's UNet as `gan-segmenter run` builds it (width 16, depth 3, 2 classes)."""

    def __init__(self, b=16, depth=3, cin=3, cout=2):
        super().__init__()
        ch = [b * 2 ** i for i in range(depth + 1)]
        self.inc = double_conv(cin, ch[0])
        self.downs = nn.ModuleList([nn.Sequential(nn.MaxPool2d(2), double_conv(ch[i], ch[i + 1])) for i in range(depth)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i + 1] // 2, 2, stride=2) for i in reversed(range(depth))])
        self.convs = nn.ModuleList([double_conv(ch[i + 1], ch[i]) for i in reversed(range(depth))])
        self.outc = nn.Conv2d(ch[0], cout, 1)

    def forward(self, x):
        xs = [self.inc(x)]
        for d in self.downs:
            xs.append(d(xs[-1]))
        h = xs.pop()
        for up, conv in zip(self.ups, self.convs):
            h = conv(torch.cat([xs.pop(), up(h)], dim=1))
        return self.outc(h)


def dcgan_g(nz=128, ngf=32, nc=3):
    """The PyTorch DCGAN tutorial's generator at 32x32 (three stages, not four): `dcganSmall32`'s G."""
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())


def dcgan_d(ndf=32, nc=3):
    """The tutorial's discriminator at 32x32 without batch norm (dBatchNorm false: hidden convs with bias), logits out."""
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False))


def read_safetensors(path):
    """A state dict from a .safetensors file (header JSON + raw little-endian data; no safetensors package needed)."""
    import struct
    dtypes = {"F32": torch.float32, "F16": torch.float16, "I64": torch.int64, "I32": torch.int32}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        t = torch.frombuffer(data[a:b], dtype=dtypes[v["dtype"]]) if b > a else torch.zeros(0, dtype=dtypes[v["dtype"]])
        out[k] = t.reshape(v["shape"]).clone()
    return out


def minimize(opt, loss):
    """The library's `minimize` (src/train/step.ts): backward, read the loss and the squared gradient norm
    (both must be finite), then one Adam step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
    value, norm2 = loss.item(), torch.stack([(g * g).sum() for g in grads]).sum().item()
    if not (math.isfinite(value) and math.isfinite(norm2)):
        raise SystemExit(f"torch_bench: non-finite loss {value} or gradient {norm2}")
    opt.step()
    return value


def grey(x):
    """ITU-R 601 luma of NCHW RGB in [-1, 1] (the official rgb2gray): [N,H,W]."""
    return 0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]


SOBEL = torch.tensor([[[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]]]) / 8


def sobel(g, eps=1e-6):
    """kornia's `sobel` of grey images [N,H,W]: normalised 3x3 kernels, replicate padding, sqrt(gx^2 + gy^2 + eps)."""
    p = F.pad(g[:, None], (1, 1, 1, 1), mode="replicate")
    gx, gy = F.conv2d(p, SOBEL), F.conv2d(p, SOBEL.transpose(2, 3))
    return torch.sqrt(gx * gx + gy * gy + eps)[:, 0]


def radial_map(size):
    """The official `outside_circle_loss` map: distance from the centre on a [-1,1]^2 grid, minus its mean, times 4."""
    lin = torch.linspace(-1, 1, size)
    r = torch.sqrt(lin[:, None] ** 2 + lin[None, :] ** 2)
    return (r - r.mean()) * 4


# ------------------------------------------------------------------ ILSGAN (ilsgan64)
# NVlabs stylegan2-ada-pytorch networks (training/networks.py) with the pure-PyTorch reference paths of its
# custom ops (upfirdn2d, bias_act, conv2d_resample: what the NVlabs code runs on CPU), as qrzou/ILSGAN uses
# them: two synthesis networks (bg RGB, fg RGB + mask logit) with their own mapping networks on the same z,
# the NVlabs resnet D, AugmentPipe 'bgc'. Our port: src/methods/ilsgan/.

SQRT2 = math.sqrt(2)


def setup_filter(taps):
    f = torch.tensor(taps, dtype=torch.float32)
    f = f[:, None] * f[None, :]
    return f / f.sum()


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), flip_filter=False, gain=1):
    """upfirdn2d's `_upfirdn2d_ref`: upsample (zeros), pad (negative = crop), FIR (2-D, or separable 1-D), downsample."""
    n, c, h, w = x.shape
    px0, px1, py0, py1 = padding
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    f = f * (gain ** (f.ndim / 2))
    if not flip_filter:
        f = f.flip(list(range(f.ndim)))
    if f.ndim == 2:
        x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    else:
        x = F.conv2d(x, f[None, None, None, :].repeat(c, 1, 1, 1), groups=c)
        x = F.conv2d(x, f[None, None, :, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::down, ::down]


def upsample2d(x, f, up=2):
    fw = f.shape[-1]
    p0, p1 = (fw + up - 1) // 2, (fw - up) // 2
    return upfirdn2d(x, f, up=up, padding=(p0, p1, p0, p1), gain=up * up)


def conv2d_resample(x, w, f=None, up=1, down=1, padding=0):
    """conv2d_resample with flip_weight as NVlabs' layers call it (correlation unless transposed): the
    paths a 3x3/1x1 kernel takes with up or down 2."""
    kw = w.shape[-1]
    p = [padding] * 4
    fw = f.shape[-1] if f is not None else 1
    if up > 1:
        p = [p[0] + (fw + up - 1) // 2, p[1] + (fw - up) // 2] * 2
    if down > 1:
        p = [p[0] + (fw - down + 1) // 2, p[1] + (fw - down) // 2] * 2
    if kw == 1 and down > 1 and up == 1:
        return F.conv2d(upfirdn2d(x, f, down=down, padding=p), w)
    if down > 1 and up == 1:
        return F.conv2d(upfirdn2d(x, f, padding=p), w, stride=down)
    if up > 1:
        p = [p[0] - (kw - 1), p[1] - (kw - up)] * 2
        pt = max(min(-p[0], -p[1]), 0)
        x = F.conv_transpose2d(x, w.transpose(0, 1), stride=up, padding=pt)  # flip_weight=False -> not flipped here
        return upfirdn2d(x, f, padding=[v + pt for v in p], gain=up * up)
    return F.conv2d(x, w, padding=padding)


def bias_act(x, b=None, act="linear", gain=None, clamp=None):
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
        gain = SQRT2 if gain is None else gain
    if gain is not None and gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


class FC(nn.Module):
    """NVlabs FullyConnectedLayer."""

    def __init__(self, cin, cout, act="linear", lr=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr)
        self.bias = nn.Parameter(torch.full([cout], float(bias_init)))
        self.act, self.wg, self.bg = act, lr / math.sqrt(cin), lr

    def forward(self, x):
        w, b = self.weight * self.wg, self.bias * self.bg
        if self.act == "linear":
            return torch.addmm(b[None], x, w.t())
        return bias_act(x.matmul(w.t()), b, self.act)


class Mapping(nn.Module):
    """NVlabs MappingNetwork, c_dim 0: z normalised by its second moment, 8 FC + lrelu at lr 0.01, broadcast to num_ws
    (w_avg is a buffer; like our port, training does not update it: it only serves truncation)."""

    def __init__(self, z=512, w=512, layers=8, num_ws=10, lr=0.01):
        super().__init__()
        self.fcs = nn.ModuleList([FC(z if i == 0 else w, w, "lrelu", lr) for i in range(layers)])
        self.num_ws = num_ws
        self.register_buffer("w_avg", torch.zeros(w))

    def forward(self, z):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for fc in self.fcs:
            x = fc(x)
        return x[:, None].repeat(1, self.num_ws, 1)


class SynthesisLayer(nn.Module):
    def __init__(self, cin, cout, wdim, res, up=1, clamp=256):
        super().__init__()
        self.affine = FC(wdim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.register_buffer("noise_const", torch.randn(res, res))
        self.register_buffer("resample_filter", setup_filter([1, 3, 3, 1]))
        self.up, self.res, self.clamp = up, res, clamp

    def forward(self, x, w):
        # modulated_conv2d, fused_modconv=False (training): x * styles, conv (with up), x * dcoefs + noise
        styles = self.affine(w)
        x = conv2d_resample(x * styles[:, :, None, None], self.weight, self.resample_filter, up=self.up, padding=1)
        dcoefs = ((self.weight[None] * styles[:, None, :, None, None]).square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        noise = torch.randn(x.shape[0], 1, self.res, self.res) * self.noise_strength
        x = torch.addcmul(noise, x, dcoefs[:, :, None, None])
        return bias_act(x, self.bias, "lrelu", clamp=self.clamp)


class ToRGB(nn.Module):
    def __init__(self, cin, cout, wdim, clamp=256):
        super().__init__()
        self.affine = FC(wdim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn(cout, cin, 1, 1))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.wg, self.clamp = 1 / math.sqrt(cin), clamp

    def forward(self, x, w):
        styles = self.affine(w) * self.wg
        return bias_act(F.conv2d(x * styles[:, :, None, None], self.weight), self.bias, clamp=self.clamp)


class Synthesis(nn.Module):
    """NVlabs SynthesisNetwork, architecture 'skip': b4 const + conv1 + torgb; b8..bR conv0 (up) + conv1 + torgb,
    skip images upsample2d-ed and summed."""

    def __init__(self, wdim=512, res=64, img_channels=3, base=16384, cmax=256, clamp=256):
        super().__init__()
        ch = lambda r: min(base // r, cmax)
        self.register_buffer("resample_filter", setup_filter([1, 3, 3, 1]))
        self.const = nn.Parameter(torch.randn(ch(4), 4, 4))
        self.blocks = nn.ModuleList()
        r = 4
        while r <= res:
            conv0 = SynthesisLayer(ch(r // 2), ch(r), wdim, r, up=2, clamp=clamp) if r > 4 else None
            self.blocks.append(nn.ModuleDict({**({"conv0": conv0} if conv0 else {}), "conv1": SynthesisLayer(ch(r), ch(r), wdim, r, clamp=clamp),
                                              "torgb": ToRGB(ch(r), img_channels, wdim, clamp)}))
            r *= 2
        self.num_ws = 2 * len(self.blocks)

    def forward(self, ws):
        x = img = None
        i = 0
        for b in self.blocks:
            if "conv0" in b:
                x = b["conv0"](x, ws[:, i])
                i += 1
            else:
                x = self.const[None].repeat(ws.shape[0], 1, 1, 1)
            x = b["conv1"](x, ws[:, i])
            y = b["torgb"](x, ws[:, i + 1])
            img = y if img is None else upsample2d(img, self.resample_filter) + y
        return img


class LayeredG(nn.Module):
    """ILSGAN's PerturbGenerator: bg = G_bg(mapping_bg(z)), (fg, mask logit) = G_fg(mapping_fg(z)), m = sigmoid,
    composite (1 - m)·bg + m·fg; in training fg and mask shifted by round(eps·xint_max·R) px (eps ~ U[-1,1]²,
    ties to even, zero fill) and the composite recomposed."""

    def __init__(self, res=64, z=512, w=512, layers=8, base=16384, cmax=256, xint_max=0.125):
        super().__init__()
        self.synthesis_bg = Synthesis(w, res, 3, base, cmax)
        self.synthesis_fg = Synthesis(w, res, 4, base, cmax)
        self.mapping_bg = Mapping(z, w, layers, self.synthesis_bg.num_ws)
        self.mapping_fg = Mapping(z, w, layers, self.synthesis_fg.num_ws)
        self.res, self.xint_max = res, xint_max

    def forward(self, z):
        bg = self.synthesis_bg(self.mapping_bg(z))
        rgba = self.synthesis_fg(self.mapping_fg(z))
        fg, mask = rgba[:, :3], torch.sigmoid(rgba[:, 3:])
        base = (fg, bg, mask, (1 - mask) * bg + mask * fg)
        eps = torch.rand(z.shape[0], 2) * 2 - 1
        shifts = torch.round(eps * self.xint_max * self.res).to(torch.int64).tolist()  # round half to even
        moved = []
        fm = torch.cat([fg, mask], 1)
        r = self.res
        for i, (tx, ty) in enumerate(shifts):
            p = F.pad(fm[i:i + 1], [max(tx, 0), max(-tx, 0), max(ty, 0), max(-ty, 0)])
            moved.append(p[:, :, max(-ty, 0): max(-ty, 0) + r, max(-tx, 0): max(-tx, 0) + r])
        moved = torch.cat(moved, 0)
        sfg, smask = moved[:, :3], moved[:, 3:]
        return base, (sfg, bg, smask, (1 - smask) * bg + smask * sfg)


class ConvLayer(nn.Module):
    """NVlabs Conv2dLayer: weight N(0,1)·1/sqrt(fan_in), conv2d_resample, bias_act (lrelu gain sqrt2 · gain, clamp · gain)."""

    def __init__(self, cin, cout, k, act="lrelu", bias=True, down=1, clamp=256):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.register_buffer("resample_filter", setup_filter([1, 3, 3, 1]))
        self.wg, self.act, self.down, self.pad, self.clamp = 1 / math.sqrt(cin * k * k), act, down, k // 2, clamp

    def forward(self, x, gain=1.0):
        x = conv2d_resample(x, self.weight * self.wg, self.resample_filter, down=self.down, padding=self.pad)
        g = (SQRT2 if self.act == "lrelu" else 1.0) * gain
        return bias_act(x, self.bias, self.act, gain=g, clamp=self.clamp * gain if self.clamp is not None else None)


class NVDiscriminator(nn.Module):
    """NVlabs Discriminator, architecture 'resnet', c_dim 0: fromrgb, per block conv0, conv1 (down), skip (1x1 down, no
    bias, gain sqrt 0.5); epilogue minibatch-stddev (group 4, 1 channel), conv, fc, out."""

    def __init__(self, res=64, base=16384, cmax=256, mbstd=4, clamp=256):
        super().__init__()
        ch = lambda r: min(base // r, cmax)
        self.fromrgb = ConvLayer(3, ch(res), 1, clamp=clamp)
        self.blocks = nn.ModuleList()
        r = res
        while r > 4:
            self.blocks.append(nn.ModuleList([ConvLayer(ch(r), ch(r), 3, clamp=clamp), ConvLayer(ch(r), ch(r // 2), 3, down=2, clamp=clamp),
                                              ConvLayer(ch(r), ch(r // 2), 1, act="linear", bias=False, down=2, clamp=None)]))
            r //= 2
        c4 = ch(4)
        self.conv = ConvLayer(c4 + 1, c4, 3, clamp=clamp)
        self.fc = FC(c4 * 16, c4, "lrelu")
        self.out = FC(c4, 1)
        self.mbstd = mbstd

    def forward(self, img):
        x = self.fromrgb(img)
        for conv0, conv1, skip in self.blocks:
            y = skip(x, gain=math.sqrt(0.5))
            x = conv1(conv0(x), gain=math.sqrt(0.5))
            x = y.add_(x)
        n, c, h, w = x.shape
        g = min(self.mbstd, n)
        y = x.reshape(g, -1, 1, c, h, w)
        y = ((y - y.mean(dim=0)).square().mean(dim=0) + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        x = self.conv(torch.cat([x, y], 1))
        return self.out(self.fc(x.flatten(1)))


# AugmentPipe 'bgc' (NVlabs training/augment.py): geometric transforms by G_inv (reflect pad, sym6 2x upsample,
# bilinear grid_sample, 2x downsample), colour transforms by C. At p = 0 every draw is gated off, the matrices are
# identities, and the pipeline still runs in full (`G_inv is not I_3`), as our adaAugment does.
SYM6 = [0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633, 0.4910559419267466, 0.787641141030194,
        0.3379294217276218, -0.07263752278646252, -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148]


def _batch(n, *rows):
    """[n, len(rows), len(rows[0])] from rows of scalars or [n] tensors."""
    return torch.stack([torch.stack([v if torch.is_tensor(v) else torch.full([n], float(v)) for v in r], -1) for r in rows], -2)


def ada_bgc(images, p):
    n, c, h, w = images.shape
    rand, randn = lambda *s: torch.rand(n, *s), lambda *s: torch.randn(n, *s)
    gate = lambda thr, v, off: torch.where(torch.rand(v.shape) < thr, v, torch.full_like(v, off))
    T2 = lambda tx, ty: _batch(n, [1, 0, tx], [0, 1, ty], [0, 0, 1])
    S2 = lambda sx, sy: _batch(n, [sx, 0, 0], [0, sy, 0], [0, 0, 1])
    R2 = lambda t: _batch(n, [torch.cos(t), -torch.sin(t), 0], [torch.sin(t), torch.cos(t), 0], [0, 0, 1])
    G = torch.eye(3).repeat(n, 1, 1)
    i = gate(p, torch.floor(rand() * 2), 0)
    G = G @ S2(1 - 2 * i, torch.ones(n))
    i = gate(p, torch.floor(rand() * 4), 0)
    G = G @ R2(np_pi / 2 * i)  # rotate2d_inv(-pi/2 i)
    t = (rand(2) * 2 - 1) * 0.125
    t = torch.where(torch.rand(n, 1) < p, t, torch.zeros_like(t))
    G = G @ T2(-torch.round(t[:, 0] * w), -torch.round(t[:, 1] * h))
    s = gate(p, torch.exp2(randn() * 0.2), 1)
    G = G @ S2(1 / s, 1 / s)
    p_rot = 1 - math.sqrt(min(max(1 - p, 0), 1))
    th = gate(p_rot, (rand() * 2 - 1) * np_pi, 0)
    G = G @ R2(th)  # rotate2d_inv(-theta)
    s = gate(p, torch.exp2(randn() * 0.2), 1)
    G = G @ S2(1 / s, s)  # scale2d_inv(s, 1/s)
    th = gate(p_rot, (rand() * 2 - 1) * np_pi, 0)
    G = G @ R2(th)  # rotate2d_inv(-theta)
    t = randn(2) * 0.125
    t = torch.where(torch.rand(n, 1) < p, t, torch.zeros_like(t))
    G = G @ T2(-t[:, 0] * w, -t[:, 1] * h)
    # execute the geometric transform
    cx, cy = (w - 1) / 2, (h - 1) / 2
    cp = torch.tensor([[-cx, -cy, 1], [cx, -cy, 1], [cx, cy, 1], [-cx, cy, 1]])
    cp = G @ cp.t()
    hz = torch.tensor(SYM6)
    hz = hz / hz.sum()  # setup_filter normalises
    hz_pad = len(SYM6) // 4
    margin = cp[:, :2, :].permute(1, 0, 2).flatten(1)
    margin = torch.cat([-margin, margin]).max(dim=1).values + torch.tensor([hz_pad * 2 - cx, hz_pad * 2 - cy] * 2)
    margin = margin.max(torch.zeros(4)).min(torch.tensor([w - 1, h - 1] * 2, dtype=torch.float32))
    mx0, my0, mx1, my1 = [int(v) for v in margin.ceil().tolist()]
    x = F.pad(images, [mx0, mx1, my0, my1], mode="reflect")
    G = T2(torch.full([n], (mx0 - mx1) / 2), torch.full([n], (my0 - my1) / 2)) @ G
    x = upsample2d(x, hz)
    G = S2(2, 2) @ G @ S2(0.5, 0.5)
    G = T2(-0.5, -0.5) @ G @ T2(0.5, 0.5)
    shape = [n, c, (h + hz_pad * 2) * 2, (w + hz_pad * 2) * 2]
    G = S2(2 / x.shape[3], 2 / x.shape[2]) @ G @ S2(shape[3] / 2, shape[2] / 2)
    grid = F.affine_grid(G[:, :2, :], shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    fw = len(SYM6)
    p0 = -hz_pad * 2 + (fw - 2 + 1) // 2
    p1 = -hz_pad * 2 + (fw - 2) // 2
    x = upfirdn2d(x, hz, down=2, padding=(p0, p1, p0, p1), flip_filter=True)
    # colour
    T3 = lambda b: _batch(n, [1, 0, 0, b], [0, 1, 0, b], [0, 0, 1, b], [0, 0, 0, 1])
    S3 = lambda s: _batch(n, [s, 0, 0, 0], [0, s, 0, 0], [0, 0, s, 0], [0, 0, 0, 1])
    C = torch.eye(4).repeat(n, 1, 1)
    C = T3(gate(p, randn() * 0.2, 0)) @ C
    C = S3(gate(p, torch.exp2(randn() * 0.5), 1)) @ C
    v = torch.tensor([1.0, 1, 1, 0]) / math.sqrt(3)
    vv = torch.outer(v, v)
    i = gate(p, torch.floor(rand(1, 1) * 2), 0)
    C = (torch.eye(4) - 2 * vv * i) @ C
    th = gate(p, (rand() * 2 - 1) * np_pi, 0)
    # rotate3d(v, theta): Rodrigues around the luma axis
    vx, vy, vz = v[0], v[1], v[2]
    s_, c_ = torch.sin(th), torch.cos(th)
    cc = 1 - c_
    R = _batch(n, [vx * vx * cc + c_, vx * vy * cc - vz * s_, vx * vz * cc + vy * s_, 0], [vy * vx * cc + vz * s_, vy * vy * cc + c_, vy * vz * cc - vx * s_, 0],
               [vz * vx * cc - vy * s_, vz * vy * cc + vx * s_, vz * vz * cc + c_, 0], [0, 0, 0, 1])
    C = R @ C
    s = gate(p, torch.exp2(randn(1, 1) * 1.0), 1)
    C = (vv + (torch.eye(4) - vv) * s) @ C
    x = x.reshape(n, c, h * w)
    x = C[:, :3, :3] @ x + C[:, :3, 3:]
    return x.reshape(n, c, h, w)


np_pi = math.pi


# ------------------------------------------------------------------ GANSeg (ganseg64)
# xingzhehe/GANSeg models/generator.py (Generator, cub branch: independent modules) and models/discriminator.py,
# written anew at gan_cub_k8 scaled to 64² (feature maps 16,16,32,32,64,64; channels 512,256,256,128,128,64; K 8,
# 4 points per part, z 256, embedding 64, linear heatmaps, extend 10). Our port: src/methods/ganseg/.

class AffineFreeBN(nn.Module):
    """SynchronizedBatchNorm2d(affine=False) in training mode: batch statistics; the running statistics (momentum
    0.1, unbiased variance) updated off the graph, as our port does."""

    def __init__(self, c):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))

    def update(self, x):
        with torch.no_grad():
            self.running_mean.lerp_(x.mean(dim=[0, 2, 3]), 0.1)
            self.running_var.lerp_(x.var(dim=[0, 2, 3], unbiased=True), 0.1)

    def forward(self, x):
        return F.batch_norm(x, None, None, training=True, eps=1e-5)


class GSpade(nn.Module):
    """SPADE: (1 + γ(e))·BN(x) + β(e), γ, β = conv3x3(lrelu(conv3x3(e))) with 128 hidden channels. With `recompute`
    (our `recompute`: SPADE activation checkpointing in G's update) one checkpointed node, recomputed in backward."""

    def __init__(self, c, emb, hidden=128):
        super().__init__()
        self.norm = AffineFreeBN(c)
        self.conv = nn.Conv2d(emb, hidden, 3, padding=1)
        self.conv_gamma = nn.Conv2d(hidden, c, 3, padding=1)
        self.conv_beta = nn.Conv2d(hidden, c, 3, padding=1)
        self.recompute = False

    def _f(self, x, e):
        h = F.leaky_relu(self.conv(e), 0.2)
        return (1 + self.conv_gamma(h)) * self.norm(x) + self.conv_beta(h)

    def forward(self, x, e):
        self.norm.update(x)
        if self.recompute and torch.is_grad_enabled():
            return torch.utils.checkpoint.checkpoint(self._f, x, e, use_reentrant=False)
        return self._f(x, e)


class GSpadeResBlk(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        mid = min(cin, cout)
        self.spade1, self.conv1 = GSpade(cin, emb), nn.Conv2d(cin, mid, 3, padding=1)
        self.spade2, self.conv2 = GSpade(mid, emb), nn.Conv2d(mid, cout, 3, padding=1)
        self.learn_shortcut = cin != cout
        if self.learn_shortcut:
            self.spade_shortcut, self.conv_shortcut = GSpade(cin, emb), nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x, e):
        y = self.conv1(F.leaky_relu(self.spade1(x, e), 0.2))
        y = self.conv2(F.leaky_relu(self.spade2(y, e), 0.2))
        return y + (self.conv_shortcut(self.spade_shortcut(x, e)) if self.learn_shortcut else x)


class GAdaINBlk(nn.Module):
    """AdaINResBlk: conv3x3(lrelu((1 + γ(w))·BN(x) + β(w))), γ, β = linear(lrelu(linear(w))) with 128 hidden units."""

    def __init__(self, cin, cout, emb, hidden=128):
        super().__init__()
        self.norm = AffineFreeBN(cin)
        self.fc, self.fc_gamma, self.fc_beta = nn.Linear(emb, hidden), nn.Linear(hidden, cin), nn.Linear(hidden, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x, w):
        self.norm.update(x)
        h = F.leaky_relu(self.fc(w), 0.2)
        y = (1 + self.fc_gamma(h)[:, :, None, None]) * self.norm(x) + self.fc_beta(h)[:, :, None, None]
        return self.conv1(F.leaky_relu(y, 0.2))


def gs_mlp(z, out, hidden_layers):
    layers = []
    for _ in range(hidden_layers):
        layers += [nn.Linear(z, z), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(z, out))


class GPosEmb(nn.Module):
    def __init__(self, n, c):
        super().__init__()
        self.pe = nn.Conv2d(2 * n, c // 2, 1)

    def forward(self, x):
        x = self.pe(x) * math.pi
        return torch.cat([torch.sin(x), torch.cos(x)], 1)


def gs_grid(size, extend=0):
    """gen_grid2d / gen_grid2d_extend: (row, column) on linspace(-1, 1, size)'s spacing, extended by `extend` px: [S², 2]."""
    x = torch.linspace(-1, 1, size)
    if extend:
        r = 1 + (x[1] - x[0]) * extend
        x = torch.linspace(-float(r), float(r), size + 2 * extend)
    a, b = torch.meshgrid(x, x, indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1)], 1)


class PartG(nn.Module):
    def __init__(self, z=256, k=8, n_per=4, emb=64, sizes=(16, 16, 32, 32, 64, 64), ch=(512, 256, 256, 128, 128, 64), image=64, extend=10):
        super().__init__()
        self.z, self.k, self.n_per, self.emb, self.sizes, self.image, self.e = z, k, n_per, emb, list(sizes), image, extend
        self.keypoints_embedding = nn.Embedding(k, emb)
        self.gen_keypoints_embedding_noise = gs_mlp(z, emb, 3)
        self.gen_keypoints_layer = gs_mlp(z, k * n_per * 2, 4)
        self.gen_background_embedding = gs_mlp(z, emb, 3)
        L = len(sizes)
        self.mask_spade_blocks = nn.ModuleList([GSpadeResBlk(ch[0], emb, emb)] + [GSpadeResBlk(emb, emb, emb) for _ in range(L - 2)] + [GSpadeResBlk(emb, k + 1, emb)])
        outs = list(ch[1:]) + [emb]
        self.spade_blocks = nn.ModuleList([GSpadeResBlk(ch[i], outs[i], emb) for i in range(L)])
        self.adain_blocks = nn.ModuleList([GAdaINBlk(ch[i], outs[i], emb) for i in range(L)])
        self.x_start, self.mask_start, self.bg_start = GPosEmb(k, ch[0]), GPosEmb(k * n_per, ch[0]), GPosEmb(1, ch[0])
        self.conv = nn.Sequential(nn.Conv2d(emb, emb, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(emb, 3, 3, padding=1))
        self.register_buffer("init_extend_coord", gs_grid(sizes[0], extend)[None])
        self.heat_grids = {s: gs_grid(s, extend) for s in set(sizes)}
        self.coord = gs_grid(image)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0.2)
                nn.init.zeros_(m.bias)

    def set_recompute(self, on):
        for m in self.modules():
            if isinstance(m, GSpade):
                m.recompute = on

    def crop(self, x):
        return x[:, :, self.e:-self.e, self.e:-self.e]

    def up_crop(self, x):
        return self.crop(F.interpolate(x, size=x.shape[-1] * 2, mode="bilinear", align_corners=False))

    def offsets(self, pts):
        """pts [N,P,2] minus the extended first-size grid, as [N, 2P, S+2e, S+2e] (channel 2j + c)."""
        s = self.sizes[0] + 2 * self.e
        return (pts[:, :, None] - self.init_extend_coord[:, None]).transpose(2, 3).reshape(pts.shape[0], -1, s, s)

    def forward(self, z0, z1, z2, bg_trans, penalty=False):
        n, k = z0.shape[0], self.k
        points = torch.tanh(self.gen_keypoints_layer(z0).reshape(n, -1, 2) / 20)
        kp = points.reshape(n, k, self.n_per, 2).mean(dim=2)
        kp_emb = self.keypoints_embedding.weight[None] * self.gen_keypoints_embedding_noise(z2)[:, None]  # [N,K,E]
        embed = lambda maps: torch.einsum("nkhw,nke->nehw", maps, kp_emb)
        # masks
        mask = self.mask_start(self.offsets(points))
        tau = ((points.reshape(n, k, self.n_per, 2) - kp[:, :, None]).abs().mean(dim=(2, 3)) + 1e-6)[:, :, None]
        L = len(self.sizes)
        for i, s in enumerate(self.sizes):
            se = s + 2 * self.e
            heat = torch.clamp(1 - (kp[:, :, None] - self.heat_grids[s][None, None]).norm(dim=-1) / tau, min=0).reshape(n, k, se, se)
            mask = self.mask_spade_blocks[i](mask, embed(heat))
            if i < L - 1 and s != self.sizes[i + 1]:
                mask = self.up_crop(mask)
        mask = F.softmax(self.crop(mask), dim=1)
        # foreground
        fg = self.x_start(self.offsets(kp))
        pad = nn.ReplicationPad2d(self.e)
        for i, s in enumerate(self.sizes):
            cur = pad(F.interpolate(mask[:, :-1], size=s, mode="bilinear", align_corners=False))
            fg = self.spade_blocks[i](fg, embed(cur))
            if i < L - 1 and s != self.sizes[i + 1]:
                fg = self.up_crop(fg)
        fg = self.crop(fg)
        # background: centre (0, t[1])
        centre = torch.stack([torch.zeros_like(bg_trans[:, 1]), bg_trans[:, 1]], 1)[:, None]
        bg_emb = self.gen_background_embedding(z1)
        bg = self.bg_start(self.offsets(centre))
        for i, blk in enumerate(self.adain_blocks):
            bg = blk(bg, bg_emb)
            if self.sizes[i] != self.sizes[min(i + 1, L - 1)]:
                bg = self.up_crop(bg)
        bg = self.crop(bg)
        kp_mask, bg_mask = mask[:, :-1], mask[:, -1:]
        img = torch.tanh(self.conv(F.leaky_relu((1 - bg_mask) * fg + bg_mask * bg, 0.2)))
        if not penalty:
            return img, None, None
        dist = ((kp[:, :, None] - self.coord[None, None]) ** 2).sum(-1)  # [N,K,S²]
        w = kp_mask / (kp_mask.sum(dim=(-1, -2), keepdim=True) + 1e-6)
        center = (dist * w.reshape(n, k, -1)).sum(-1).mean()
        t = (points.reshape(n, k, self.n_per, 2) - kp[:, :, None]).abs().mean(dim=(2, 3)) * (self.image / 2)
        area = torch.clamp(math.pi * t ** 2 - kp_mask.sum(dim=(-1, -2)), min=0).sum(dim=1).mean()
        return img, center, area


class PartD(nn.Module):
    """models/discriminator.py with as many blocks as take 64² to 2² (64, 128, 256, 512, 512), fc 2·2·512 → 512 → 1."""

    def __init__(self, ch=(64, 128, 256, 512, 512), hidden=512):
        super().__init__()
        self.blocks = nn.ModuleList()
        cin = 3
        for c in ch:
            self.blocks.append(nn.ModuleList([nn.Conv2d(cin, c, 1, stride=2), nn.Conv2d(cin, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1, stride=2)]))
            cin = c
        self.fc = nn.Sequential(nn.Linear(cin * 4, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0.2)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        for res, c1, c2, down in self.blocks:
            h = down(F.leaky_relu(c2(F.leaky_relu(c1(x), 0.2)), 0.2))
            x = (h + res(x)) / math.sqrt(2)
        return self.fc(x.flatten(1)).reshape(-1)


def make(workload, batch=None):
    torch.manual_seed(0)
    if workload == "conv3x3":
        x = torch.randn(8, 64, 64, 64, requires_grad=True)
        w = torch.randn(64, 64, 3, 3, requires_grad=True)
        dy = torch.randn(8, 64, 64, 64)

        def step():
            x.grad = w.grad = None
            F.conv2d(x, w, padding=1).backward(dy)
        return step, {}
    if workload in ("conv3x3-tiny",):
        x = torch.randn(1, 16, 16, 16, requires_grad=True)
        w = torch.randn(16, 16, 3, 3, requires_grad=True)
        dy = torch.randn(1, 16, 16, 16)

        def step():
            x.grad = w.grad = None
            F.conv2d(x, w, padding=1).backward(dy)
        return step, {}
    if workload.startswith("unet"):
        size = int(workload[4:])
        net = UNet()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x = torch.randn(8, 3, size, size)
        y = (torch.rand(8, 1, size, size) > 0.5).float()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(net(x), y)
            loss.backward()
            opt.step()
        return step, {"params": sum(p.numel() for p in net.parameters())}
    if workload == "sample64":
        g = Generator()
        z = torch.randn(16, 128)

        def step():
            with torch.no_grad():
                g(z)
        return step, {"params": sum(p.numel() for p in g.parameters())}
    if workload == "stylegan64":
        g, d = Generator(), Discriminator()
        og = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0, 0.99))
        od = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0, 0.99))
        real = torch.randn(8, 3, 64, 64)

        def step():
            z = torch.randn(8, 128)
            # D step: logistic loss + R1 on reals (gamma 10).
            od.zero_grad(set_to_none=True)
            r = real.detach().requires_grad_(True)
            real_out = d(r)
            fake_out = d(g(z).detach())
            (grad,) = torch.autograd.grad(real_out.sum(), r, create_graph=True)
            r1 = grad.pow(2).sum(dim=(1, 2, 3)).mean()
            loss_d = F.softplus(fake_out).mean() + F.softplus(-real_out).mean() + 5.0 * r1
            loss_d.backward()
            od.step()
            # G step: non-saturating loss.
            og.zero_grad(set_to_none=True)
            loss_g = F.softplus(-d(g(z))).mean()
            loss_g.backward()
            og.step()
        return step, {"params": sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters())}
    if workload == "alpha64":
        # One Labels4Free iteration (train.py): G frozen (fg and bg passes under no_grad), D step with
        # logistic loss + R1 (gamma 10, every step), alpha-net step with train.py's G loss at its defaults.
        g, d = Generator(), Discriminator()
        for p in g.parameters():
            p.requires_grad_(False)
        alpha = AlphaNet([c for c in (256, 128, 64, 32) for _ in range(2)])
        oa = torch.optim.Adam(alpha.parameters(), lr=2e-4 * 0.8, betas=(0, 0.99 ** 0.8))
        od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0, 0.99))
        real = torch.randn(8, 3, 64, 64)

        def passes():
            with torch.no_grad():
                z = torch.randn(8, 128)
                fg, feats = g.features(z)
                bg, _ = g.features(z, zero_conv0=True)
            return fg, bg, feats

        def step():
            fg, bg, feats = passes()
            with torch.no_grad():
                a = alpha(feats)
                fake = fg * a + (1 - a) * bg
            od.zero_grad(set_to_none=True)
            r = real.detach().requires_grad_(True)
            real_out = d(r)
            (grad,) = torch.autograd.grad(real_out.sum(), r, create_graph=True)
            r1 = grad.pow(2).sum(dim=(1, 2, 3)).mean()
            loss_d = F.softplus(d(fake)).mean() + F.softplus(-real_out).mean() + 5.0 * r1
            loss_d.backward()
            od.step()
            fg, bg, feats = passes()
            oa.zero_grad(set_to_none=True)
            a = alpha(feats)
            comp = fg * a + (1 - a) * bg
            binar = torch.min(a, 1 - a).mean()
            fg_cov = F.relu(0.25 - a.mean())
            bg_cov = F.relu(0.75 - (1 - a).mean())
            loss_a = F.softplus(-d(comp)).mean() * 1.0 + 1.2 * (binar + fg_cov) + 0.0 * bg_cov
            loss_a.backward()
            oa.step()
        n_alpha = sum(p.numel() for p in alpha.parameters())
        return step, {"params": sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters()) + n_alpha, "alphaParams": n_alpha}
    if workload == "demo-unet":
        # One trainSegmenter step of the demo's UNet: logit l1 - l0, 1 * BCE + 0 * Dice, minimize (loss and
        # gradient-norm check), Adam 1e-3; batch 16 at 32x32, binary disc masks.
        net = DemoUNet()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        x = torch.rand(16, 3, 32, 32) * 2 - 1
        yy, xx = torch.meshgrid(torch.arange(32) + 0.5, torch.arange(32) + 0.5, indexing="ij")
        c, r = torch.rand(16, 2) * 0.4 + 0.3, torch.rand(16) * 0.2 + 0.1
        y = ((xx - c[:, 0, None, None] * 32) ** 2 + (yy - c[:, 1, None, None] * 32) ** 2 < (r[:, None, None] * 32) ** 2).float()[:, None]

        def dice(logits, t, eps=1.0):
            p = torch.sigmoid(logits)
            inter, denom = (p * t).sum(dim=(1, 2, 3)), p.sum(dim=(1, 2, 3)) + t.sum(dim=(1, 2, 3))
            return (1 - (2 * inter + eps) / (denom + eps)).mean()

        def step():
            l = net(x)
            logits = l[:, 1:2] - l[:, 0:1]
            minimize(opt, F.binary_cross_entropy_with_logits(logits, y) * 1.0 + dice(logits, y) * 0.0)
        return step, {"params": sum(p.numel() for p in net.parameters())}
    if workload == "dcgan32":
        # One train-gan step for the shipped generator's config: Gmain (non-saturating, D frozen), Dmain (logistic
        # on reals and G(z) in training mode, G outside the graph), each through minimize with Adam 2e-4 (0.5, 0.999),
        # then the EMA of G (half-life 1 kimg) and its batch-norm buffers copied. Batch 32.
        g, d = dcgan_g(), dcgan_d()
        for m in list(g.modules()) + list(d.modules()):
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)
        g_ema = dcgan_g()
        g_ema.load_state_dict(g.state_dict())
        og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        real = torch.rand(32, 3, 32, 32) * 2 - 1
        beta = 0.5 ** (32 / 1000)

        def step():
            d.requires_grad_(False)
            minimize(og, F.softplus(-d(g(torch.randn(32, 128, 1, 1)))).mean())
            d.requires_grad_(True)
            with torch.no_grad():
                fake = g(torch.randn(32, 128, 1, 1))
            minimize(od, F.softplus(d(fake)).mean() + F.softplus(-d(real)).mean())
            with torch.no_grad():
                for pe, p in zip(g_ema.parameters(), g.parameters()):
                    pe.lerp_(p, 1 - beta)
                for be, b in zip(g_ema.buffers(), g.buffers()):
                    be.copy_(b)
        return step, {"params": sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters())}
    if workload == "segment100":
        # `gan-segmenter segment` per photo for the first 100 photos by name (decoded before timing, PIL):
        # area resize to 64x64, the demo's UNet in eval mode, sigmoid(l1 - l0), bilinear back to the photo's size
        # (align_corners), threshold 0.5, one photo at a time. torch's 'area' is adaptive average pooling.
        import os
        import numpy as np
        from PIL import Image
        folder = os.environ.get("GAN_SEGMENTER_BENCH_PHOTOS", os.path.join("..", "shared", "datasets", "weizmann-horse", "images"))
        files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg", ".png")))[:100]
        if len(files) < 100:
            raise SystemExit(f"segment100: {folder} has {len(files)} photos, 100 needed")
        photos = [torch.from_numpy(np.asarray(Image.open(os.path.join(folder, f)).convert("RGB"), dtype=np.float32) / 255.0)
                  .permute(2, 0, 1)[None].contiguous() for f in files]
        net = DemoUNet().eval()

        def step():
            with torch.no_grad():
                for p in photos:
                    x = F.interpolate(p, size=(64, 64), mode="area") * 2 - 1
                    l = net(x)
                    prob = torch.sigmoid(l[:, 1:2] - l[:, 0:1])
                    full = F.interpolate(prob, size=p.shape[2:], mode="bilinear", align_corners=True)
                    (full > 0.5).float().numpy()
        return step, {"params": sum(q.numel() for q in net.parameters()), "photos": len(photos), "pixels": sum(p.shape[2] * p.shape[3] for p in photos)}
    if workload == "direction":
        # One latent-direction iteration (src/methods/latent-direction/train.ts at the paper's settings) on the
        # shipped 32x32 DCGAN, frozen and in eval mode: z and per-entry radii N(2, 0.5^2) >= 0.1, originals under
        # no_grad, loss 2 * radial prior + 10 * Sobel shift MSE, minimize with Adam 5e-3 (eps 1e-7, tfjs's),
        # then the direction renormalised. Batch 32.
        g = dcgan_g()
        g.load_state_dict({k[len("main."):]: v for k, v in read_safetensors("assets/dcgan-shapes-32.safetensors").items()})
        g.eval().requires_grad_(False)
        d = nn.Parameter(torch.randn(128) * 0.1)
        opt = torch.optim.Adam([d], lr=5e-3, betas=(0.9, 0.999), eps=1e-7)
        rmap = radial_map(32)

        def step():
            z = torch.randn(32, 128)
            r = (torch.randn(32, 128) * 0.5 + 2).clamp_min(0.1)
            with torch.no_grad():
                orig = sobel(grey(g(z[:, :, None, None])))
            shifted = g((z + r * (d / d.norm()))[:, :, None, None])
            gs = grey(shifted)
            minimize(opt, (gs * rmap).mean() * 2 + ((sobel(gs) - orig) ** 2).mean() * 10)
            with torch.no_grad():
                d.div_(d.norm())
        return step, {"params": sum(p.numel() for p in g.parameters()) + d.numel()}
    if workload == "ilsgan64":
        # One trainGan step of trainIlsgan at ILS_predL (64², z = w = 512, 8 mapping layers, 256 channels at every
        # resolution, conv_clamp 256), from step 1 (the lazy R1 of steps 0, 16, … is not in a short run):
        # Gmain: z, random noise and the shift; D (frozen) sees AugmentPipe(shifted composite); loss = softplus(-D) +
        # 2·binarization(shifted mask) + 1·relu(0.25 - mean shifted mask) + σ·CLUB (σ 0.2 while kimg ≤ 400) on the
        # unshifted layers; Dmain: G under no_grad, softplus(D(aug(fake))) + softplus(-D(aug(real))); Adam lr 0.0025
        # betas (0, 0.99) at the lazy ratios (G 4/5, D 16/17); ADA bgc at p = 0 (the full pipeline, identity
        # transforms); the EMA of G (half-life batch·10/32 kimg, ramp-up 0.05), buffers copied.
        n = batch or 32
        g, d = LayeredG(), NVDiscriminator()
        g_ema = LayeredG()
        g_ema.load_state_dict(g.state_dict())
        g_ema.requires_grad_(False)
        lazy = lambda lr, r: dict(lr=lr * r / (r + 1), betas=(0.0, 0.99 ** (r / (r + 1))), eps=1e-8)
        og = torch.optim.Adam(g.parameters(), **lazy(0.0025, 4))
        od = torch.optim.Adam(d.parameters(), **lazy(0.0025, 16))
        real = torch.rand(n, 3, 64, 64) * 2 - 1
        state = {"step": 1, "p": 0.0, "signs": 0.0, "count": 0}

        def club(x, y, perm):
            l1 = lambda a: (a - y).abs().mean(dim=[1, 2, 3])
            return -l1(x).mean() + l1(x[perm]).mean()

        def step():
            s = state["step"]
            sigma = 0.2 if (s * n) // 1000 <= 400 else 1.0
            d.requires_grad_(False)
            (fg, bg, mask, _), (_, _, smask, scomp) = g(torch.randn(n, 512))
            adv = F.softplus(-d(ada_bgc(scomp, state["p"]))).mean()
            binar = torch.minimum(1 - smask, smask).mean(dim=[1, 2, 3]).mean()
            msize = F.relu(0.25 - smask.mean(dim=[1, 2, 3])).mean()
            inside = lambda x: torch.where(x.abs() < 1, x, x.detach())
            fgi, bgi, inv = inside(fg), inside(bg), 1 - mask
            mi = club(bgi * mask, fgi * mask, torch.randperm(n)) + club(fgi * inv, bgi * inv, torch.randperm(n))
            minimize(og, adv + 2 * binar + 2 * msize + sigma * mi)
            d.requires_grad_(True)
            with torch.no_grad():
                fake = g(torch.randn(n, 512))[1][3]
            real_out = d(ada_bgc(real, state["p"]))
            state["signs"] += torch.sign(real_out).sum().item()  # ADA's sign statistic
            state["count"] += real_out.numel()
            minimize(od, F.softplus(d(ada_bgc(fake, state["p"]))).mean() + F.softplus(-real_out).mean())
            if s % 4 == 0:  # ADA's controller (target 0.6, interval 4, 500 kimg), after the phases
                state["p"] = max(0.0, state["p"] + ((m := state["signs"] / state["count"] - 0.6) > 0) - (m < 0) * n * 4 / 500e3)
                state["signs"], state["count"] = 0.0, 0
            beta = 0.5 ** (n / (min(n * 10 / 32, (s + 1) * n * 0.05 / 1000) * 1000))
            with torch.no_grad():
                for pe, p in zip(g_ema.parameters(), g.parameters()):
                    pe.lerp_(p, 1 - beta)
                for be, b in zip(g_ema.buffers(), g.buffers()):
                    be.copy_(b)
            state["step"] = s + 1
        return step, {"params": sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters()), "batch": n}
    if workload == "ganseg64":
        # One trainGan step of trainGanSeg at GANSEG_DEFAULTS (gan_cub_k8 scaled to 64²), batch 64, from step 1
        # (batch_index = step, epochs of 1002): Dmain (G in training mode under no_grad; softplus(D(fake)) +
        # softplus(-D(real)); + 10·mean((‖∇D(real)‖ - 1)²) when step % 16 == 0), then Gmain (D frozen;
        # softplus(-D(G)) + 10·centre + 1·area when step % 2 == 0), Adam lr_D 4e-4 / lr_G 1e-4, β (0.5, 0.9), both
        # every step; `recompute` (on, as the bench's tfjs side): every SPADE of G's update checkpointed. No EMA:
        # the trainer's copy of G takes G's weights and running statistics.
        n = batch or 64
        g, d, g_copy = PartG(), PartD(), PartG()
        g.set_recompute(True)
        g_copy.requires_grad_(False)
        og = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.9), eps=1e-8)
        od = torch.optim.Adam(d.parameters(), lr=4e-4, betas=(0.5, 0.9), eps=1e-8)
        real = torch.rand(n, 3, 64, 64) * 2 - 1
        state = {"step": 1}
        inputs = lambda: (torch.randn(n, 256), torch.randn(n, 256), torch.randn(n, 256), torch.rand(n, 2) * 2 - 1)

        def step():
            s = state["step"] % 1002
            with torch.no_grad():
                fake = g(*inputs())[0]
            if s % 16 == 0:
                r = real.detach().requires_grad_(True)
                real_out = d(r)
                (grad,) = torch.autograd.grad(real_out.sum(), r, create_graph=True)
                gp = 10 * ((grad.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean()
                minimize(od, F.softplus(d(fake)).mean() + F.softplus(-real_out).mean() + gp)
            else:
                minimize(od, F.softplus(d(fake)).mean() + F.softplus(-d(real)).mean())
            d.requires_grad_(False)
            img, center, area = g(*inputs(), penalty=s % 2 == 0)
            loss = F.softplus(-d(img)).mean()
            minimize(og, loss if center is None else loss + 10 * center + 1 * area)
            d.requires_grad_(True)
            with torch.no_grad():
                for pc, p in zip(g_copy.parameters(), g.parameters()):
                    pc.copy_(p)
                for bc, b in zip(g_copy.buffers(), g.buffers()):
                    bc.copy_(b)
            state["step"] += 1
        return step, {"params": sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters()), "batch": n, "recompute": True}
    raise SystemExit(f"torch_bench: unknown workload {workload}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=None, help="batch override (ilsgan64, ganseg64 only; default: the workload's)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    step, info = make(a.workload, a.batch)
    for _ in range(a.warmup):
        step()
    times, cpu = [], []
    for _ in range(a.steps):
        t, c = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info.update({"torch": torch.__version__, "threads": torch.get_num_threads()})
    print(json.dumps({"workload": a.workload, "ms": statistics.median(times), "cpuMs": statistics.median(cpu), "times": times, "maxRssMB": rss, "info": info}))


if __name__ == "__main__":
    main()

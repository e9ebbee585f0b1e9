#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same workloads as bench/models.ts, timed the same way.

Usage: /usr/bin/python3 tools/bench/torch_bench.py --workload unet64 [--warmup 2] [--steps 5] [--threads 2]
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


def make(workload):
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
    raise SystemExit(f"torch_bench: unknown workload {workload}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    step, info = make(a.workload)
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

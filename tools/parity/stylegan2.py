#!/usr/bin/env python3
"""Reference fixtures for gan-segmenter's StyleGAN2 port and its building blocks.

A plain-PyTorch re-statement of rosinality/stylegan2-pytorch (model.py, with the
native-free upfirdn2d and fused leaky-ReLU formulations), written independently
but keeping its module structure so state-dict keys are the same
('convs.0.conv.weight', 'style.1.weight', 'noises.noise_0', ...).

The channel table can be overridden (narrow networks for fast tests).

Run with Debian's torch:  /usr/bin/python3 tools/parity/stylegan2.py
Writes test/fixtures/stylegan2/{generator,discriminator}.{json,bin} and
test/fixtures/nn/blocks.{json,bin}: a JSON index {name: {shape, offset}} and the
float32 little-endian values of every tensor, concatenated.
"""
import json
import math
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


# ----------------------------------------------------------------------------- ops

def upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    """NCHW; zero-insert by `up`, pad (pad0, pad1) on both axes, true convolution
    with `kernel` (2D), keep every `down`-th sample."""
    n, c, h, w = x.shape
    kh, kw = kernel.shape
    p0, p1 = pad
    if up > 1:
        z = x.new_zeros(n, c, h, up, w, up)
        z[:, :, :, 0, :, 0] = x
        x = z.reshape(n, c, h * up, w * up)
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    H, W = x.shape[2], x.shape[3]
    x = x[:, :, max(-p0, 0):H - max(-p1, 0), max(-p0, 0):W - max(-p1, 0)]
    k = torch.flip(kernel, [0, 1]).view(1, 1, kh, kw).repeat(c, 1, 1, 1)
    x = F.conv2d(x, k, groups=c)
    return x[:, :, ::down, ::down]


def fused_leaky_relu(x, bias, slope=0.2, scale=2 ** 0.5):
    shape = [1, -1] + [1] * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(*shape), slope) * scale


def make_kernel(k):
    k = torch.tensor(k, dtype=torch.float32)
    if k.ndim == 1:
        k = k[None, :] * k[:, None]
    return k / k.sum()


# ----------------------------------------------------------------------------- modules

class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


class FusedLeakyReLU(nn.Module):
    def __init__(self, ch, bias=True):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(ch)) if bias else None

    def forward(self, x):
        if self.bias is None:
            return F.leaky_relu(x, 0.2) * 2 ** 0.5
        return fused_leaky_relu(x, self.bias)


class Blur(nn.Module):
    def __init__(self, kernel, pad, up_factor=1):
        super().__init__()
        self.register_buffer('kernel', make_kernel(kernel) * up_factor ** 2)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, kernel, factor=2):
        super().__init__()
        self.factor = factor
        self.register_buffer('kernel', make_kernel(kernel) * factor ** 2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class EqualConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride=1, padding=0, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.scale = 1 / math.sqrt(cin * k * k)
        self.stride, self.padding = stride, padding
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


class EqualLinear(nn.Module):
    def __init__(self, din, dout, bias=True, bias_init=0.0, lr_mul=1.0, activation=None):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(dout, din) / lr_mul)
        self.bias = nn.Parameter(torch.full((dout,), float(bias_init))) if bias else None
        self.activation = activation
        self.scale = lr_mul / math.sqrt(din)
        self.lr_mul = lr_mul

    def forward(self, x):
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv2d(nn.Module):
    """Fused (grouped-conv) form, as rosinality runs by default; ours is the
    non-fused form, so parity checks that the two agree."""

    def __init__(self, cin, cout, k, style_dim, demodulate=True, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.k, self.cin, self.cout = k, cin, cout
        self.upsample = upsample
        if upsample:
            p = (len(blur_kernel) - 2) - (k - 1)
            self.blur = Blur(list(blur_kernel), pad=((p + 1) // 2 + 1, p // 2 + 1), up_factor=2)
        self.scale = 1 / math.sqrt(cin * k * k)
        self.padding = k // 2
        self.weight = nn.Parameter(torch.randn(1, cout, cin, k, k))
        self.modulation = EqualLinear(style_dim, cin, bias_init=1)
        self.demodulate = demodulate

    def forward(self, x, style):
        b, cin, h, w = x.shape
        s = self.modulation(style).view(b, 1, cin, 1, 1)
        wt = self.scale * self.weight * s
        if self.demodulate:
            wt = wt * torch.rsqrt(wt.pow(2).sum([2, 3, 4]) + 1e-8).view(b, self.cout, 1, 1, 1)
        if self.upsample:
            wt = wt.transpose(1, 2).reshape(b * cin, self.cout, self.k, self.k)
            out = F.conv_transpose2d(x.reshape(1, b * cin, h, w), wt, padding=0, stride=2, groups=b)
            out = out.view(b, self.cout, out.shape[2], out.shape[3])
            return self.blur(out)
        wt = wt.view(b * self.cout, cin, self.k, self.k)
        out = F.conv2d(x.reshape(1, b * cin, h, w), wt, padding=self.padding, groups=b)
        return out.view(b, self.cout, h, w)


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return x + self.weight * noise


class ConstantInput(nn.Module):
    def __init__(self, ch, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, ch, size, size))

    def forward(self, batch):
        return self.input.repeat(batch, 1, 1, 1)


class StyledConv(nn.Module):
    def __init__(self, cin, cout, k, style_dim, upsample=False):
        super().__init__()
        self.conv = ModulatedConv2d(cin, cout, k, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(cout)

    def forward(self, x, style, noise):
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    def __init__(self, cin, style_dim, upsample=True):
        super().__init__()
        if upsample:
            self.upsample = Upsample([1, 3, 3, 1])
        self.conv = ModulatedConv2d(cin, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.conv(x, style) + self.bias
        return out if skip is None else out + self.upsample(skip)


def channel_table(channel_multiplier, override=None):
    if override is not None:
        return override
    cm = channel_multiplier
    return {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm, 512: 32 * cm, 1024: 16 * cm}


class Generator(nn.Module):
    def __init__(self, size, style_dim, n_mlp, channel_multiplier=2, lr_mlp=0.01, channels=None):
        super().__init__()
        self.size, self.style_dim = size, style_dim
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation='fused_lrelu') for _ in range(n_mlp)])
        ch = channel_table(channel_multiplier, channels)
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, style_dim)
        self.to_rgb1 = ToRGB(ch[4], style_dim, upsample=False)
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.noises = nn.Module()
        for i in range(self.num_layers):
            r = (i + 5) // 2
            self.noises.register_buffer(f'noise_{i}', torch.randn(1, 1, 2 ** r, 2 ** r))
        cin = ch[4]
        for i in range(3, self.log_size + 1):
            cout = ch[2 ** i]
            self.convs.append(StyledConv(cin, cout, 3, style_dim, upsample=True))
            self.convs.append(StyledConv(cout, cout, 3, style_dim))
            self.to_rgbs.append(ToRGB(cout, style_dim))
            cin = cout
        self.n_latent = self.log_size * 2 - 2

    def forward(self, latent):
        """latent: W+ [N, n_latent, style_dim]; stored noise."""
        noise = [getattr(self.noises, f'noise_{i}') for i in range(self.num_layers)]
        out = self.input(latent.shape[0])
        out = self.conv1(out, latent[:, 0], noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for c1, c2, n1, n2, rgb in zip(self.convs[::2], self.convs[1::2], noise[1::2], noise[2::2], self.to_rgbs):
            out = c1(out, latent[:, i], n1)
            out = c2(out, latent[:, i + 1], n2)
            skip = rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip


class ConvLayer(nn.Sequential):
    def __init__(self, cin, cout, k, downsample=False, bias=True, activate=True):
        layers = []
        if downsample:
            p = 2 + (k - 1)
            layers.append(Blur([1, 3, 3, 1], pad=((p + 1) // 2, p // 2)))
            stride, padding = 2, 0
        else:
            stride, padding = 1, k // 2
        layers.append(EqualConv2d(cin, cout, k, stride, padding, bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(cout, bias=bias))
        super().__init__(*layers)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = ConvLayer(cin, cin, 3)
        self.conv2 = ConvLayer(cin, cout, 3, downsample=True)
        self.skip = ConvLayer(cin, cout, 1, downsample=True, activate=False, bias=False)

    def forward(self, x):
        return (self.conv2(self.conv1(x)) + self.skip(x)) / math.sqrt(2)


def minibatch_stddev(x, group_size=4):
    b, c, h, w = x.shape
    g = min(b, group_size)
    s = x.view(g, -1, 1, c, h, w)
    s = torch.sqrt(s.var(0, unbiased=False) + 1e-8).mean([2, 3, 4], keepdim=True).squeeze(2)
    return torch.cat([x, s.repeat(g, 1, h, w)], 1)


class Discriminator(nn.Module):
    def __init__(self, size, channel_multiplier=2, channels=None):
        super().__init__()
        ch = channel_table(channel_multiplier, channels)
        convs = [ConvLayer(3, ch[size], 1)]
        cin = ch[size]
        for i in range(int(math.log2(size)), 2, -1):
            convs.append(ResBlock(cin, ch[2 ** (i - 1)]))
            cin = ch[2 ** (i - 1)]
        self.convs = nn.Sequential(*convs)
        self.final_conv = ConvLayer(cin + 1, ch[4], 3)
        self.final_linear = nn.Sequential(EqualLinear(ch[4] * 16, ch[4], activation='fused_lrelu'), EqualLinear(ch[4], 1))

    def forward(self, x):
        out = self.final_conv(minibatch_stddev(self.convs(x)))
        return self.final_linear(out.reshape(out.shape[0], -1))


# ----------------------------------------------------------------------------- fixtures

def randomize(module, gen):
    """Non-trivial values for every parameter (zeros/ones at init would hide layout bugs)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith('bias') or name.endswith('noise.weight'):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen) + (1.0 if 'modulation.bias' in name else 0.0))


def write(path, tensors):
    index, chunks, offset = {}, [], 0
    for k, v in tensors.items():
        a = np.ascontiguousarray(v.detach().cpu().numpy().astype('<f4'))
        index[k] = {'shape': list(a.shape), 'offset': offset}
        chunks.append(a.tobytes())
        offset += a.size
    with open(path + '.bin', 'wb') as f:
        f.write(b''.join(chunks))
    with open(path + '.json', 'w') as f:
        json.dump(index, f, indent=0)
    print(path, offset * 4, 'bytes')


def generator_fixture():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    size, style_dim, n_mlp = 32, 64, 2
    channels = {4: 32, 8: 32, 16: 16, 32: 8}
    g = Generator(size, style_dim, n_mlp, channel_multiplier=1, channels=channels).eval()
    randomize(g, gen)
    out = {f'sd.{k}': v for k, v in g.state_dict().items()}
    n = 3
    z = torch.randn(n, style_dim, generator=gen)
    with torch.no_grad():
        w = g.style(z)
        mean_w = g.style(torch.randn(512, style_dim, generator=gen)).mean(0)
        img = g(w.unsqueeze(1).repeat(1, g.n_latent, 1))
        wt = mean_w + 0.7 * (w - mean_w)
        img_trunc = g(wt.unsqueeze(1).repeat(1, g.n_latent, 1))
        w_in = torch.randn(n, style_dim, generator=gen)
        img_w = g(w_in.unsqueeze(1).repeat(1, g.n_latent, 1))
        w_plus = g.style(torch.randn(n * g.n_latent, style_dim, generator=gen)).view(n, g.n_latent, style_dim)
        img_wplus = g(w_plus)
    # backward: ∂Σ(G(z)·r)/∂θ for a few parameters
    r = torch.randn(img.shape, generator=gen)
    names = ['style.1.weight', 'input.input', 'convs.0.conv.weight', 'convs.3.noise.weight', 'to_rgbs.1.conv.modulation.weight']
    params = dict(g.named_parameters())
    loss = (g(g.style(z).unsqueeze(1).repeat(1, g.n_latent, 1)) * r).sum()
    grads = torch.autograd.grad(loss, [params[k] for k in names])
    out.update({f'grad.{k}': v for k, v in zip(names, grads)})
    out['grad.r'] = r
    out.update({'z': z, 'w': w, 'mean_w': mean_w, 'images': img, 'images_trunc07': img_trunc,
                'w_in': w_in, 'images_w': img_w, 'w_plus': w_plus, 'images_wplus': img_wplus})
    write(os.path.join(ROOT, 'test/fixtures/stylegan2/generator'), out)


def discriminator_fixture():
    torch.manual_seed(2)
    gen = torch.Generator().manual_seed(3)
    d = Discriminator(32, channels={4: 16, 8: 16, 16: 8, 32: 8}).eval()
    randomize(d, gen)
    out = {f'sd.{k}': v for k, v in d.state_dict().items()}
    x = torch.randn(8, 3, 32, 32, generator=gen).clamp(-1, 1).requires_grad_(True)
    logits = d(x)
    (grad,) = torch.autograd.grad(logits.sum(), x)
    # small D for the R1 check: same weights, 4 images
    x4 = x[:4].detach().requires_grad_(True)
    logits4 = d(x4)
    (grad4,) = torch.autograd.grad(logits4.sum(), x4, create_graph=True)
    r1 = grad4.pow(2).reshape(4, -1).sum(1).mean()
    # second order: ∂R1/∂θ for a few parameters (what lazy R1 regularization trains with)
    names = ['convs.0.0.weight', 'convs.1.conv2.1.weight', 'final_conv.1.bias', 'final_linear.0.weight']
    params = dict(d.named_parameters())
    r1_grads = torch.autograd.grad(r1, [params[n] for n in names])
    out.update({f'r1_grad.{n}': gr for n, gr in zip(names, r1_grads)})
    out.update({'x': x.detach(), 'logits': logits.detach(), 'grad_x': grad, 'grad_x4': grad4.detach(), 'r1_x4': r1.detach().reshape(1)})
    write(os.path.join(ROOT, 'test/fixtures/stylegan2/discriminator'), out)


def blocks_fixture():
    gen = torch.Generator().manual_seed(5)
    r = lambda *s: torch.randn(*s, generator=gen)
    out = {}
    # upfirdn2d in several configurations, with an asymmetric kernel
    x = r(2, 3, 7, 6)
    k = r(3, 4).abs() + 0.1
    out['upfirdn.x'], out['upfirdn.k'] = x, k
    for name, (up, down, pad) in {'up2_p21': (2, 1, (2, 1)), 'down2_p11': (1, 2, (1, 1)), 'up1_p0m1': (1, 1, (0, -1)),
                                  'up3_down2_p12': (3, 2, (1, 2))}.items():
        out[f'upfirdn.{name}'] = upfirdn2d(x, k, up, down, pad)
    # modulated conv: plain, upsampling, no demod
    torch.manual_seed(6)
    for name, (k_, up, demod) in {'plain': (3, False, True), 'up': (3, True, True), 'rgb': (1, False, False)}.items():
        m = ModulatedConv2d(4, 5, k_, 8, demodulate=demod, upsample=up)
        randomize(m, gen)
        xi, st = r(2, 4, 5, 5), r(2, 8)
        with torch.no_grad():
            out[f'modconv.{name}.weight'] = m.weight
            out[f'modconv.{name}.mod_weight'] = m.modulation.weight
            out[f'modconv.{name}.mod_bias'] = m.modulation.bias
            out[f'modconv.{name}.x'], out[f'modconv.{name}.style'] = xi, st
            out[f'modconv.{name}.y'] = m(xi, st)
    # minibatch stddev, batch 8 group 4
    xm = r(8, 3, 4, 5)
    out['mbstd.x'], out['mbstd.y'] = xm, minibatch_stddev(xm)
    # AdaIN: gamma * instance_norm(x) + beta, eps 1e-5
    xa, ga, be = r(2, 3, 4, 4), r(2, 3), r(2, 3)
    out['adain.x'], out['adain.gamma'], out['adain.beta'] = xa, ga, be
    out['adain.y'] = ga[:, :, None, None] * F.instance_norm(xa, eps=1e-5) + be[:, :, None, None]
    # SPADE (instance-norm variant): seg 2 classes at 8x8, x at 4x4, hidden 6
    xs, seg = r(2, 3, 4, 4), r(2, 2, 8, 8)
    w_sh, b_sh, w_g, b_g, w_b, b_b = r(6, 2, 3, 3), r(6), r(3, 6, 3, 3), r(3), r(3, 6, 3, 3), r(3)
    segr = F.interpolate(seg, size=(4, 4), mode='nearest')
    act = F.relu(F.conv2d(segr, w_sh, b_sh, padding=1))
    gamma, beta = F.conv2d(act, w_g, b_g, padding=1), F.conv2d(act, w_b, b_b, padding=1)
    y = F.instance_norm(xs, eps=1e-5) * (1 + gamma) + beta
    out.update({'spade.x': xs, 'spade.seg': seg, 'spade.shared_w': w_sh, 'spade.shared_b': b_sh, 'spade.gamma_w': w_g,
                'spade.gamma_b': b_g, 'spade.beta_w': w_b, 'spade.beta_b': b_b, 'spade.y': y})
    # ResBlock (D), 4 -> 6 channels, 8x8
    torch.manual_seed(7)
    rb = ResBlock(4, 6)
    randomize(rb, gen)
    xr = r(2, 4, 8, 8)
    with torch.no_grad():
        out.update({f'resblock.sd.{k}': v for k, v in rb.state_dict().items()})
        out['resblock.x'], out['resblock.y'] = xr, rb(xr)
    write(os.path.join(ROOT, 'test/fixtures/nn/blocks'), out)


def checkpoint_fixture():
    """A tiny rosinality-format training checkpoint (.pt, zip format) with g, d, g_ema,
    plus a 'check' dict holding z and g_ema's images (stored noise)."""
    torch.manual_seed(8)
    gen = torch.Generator().manual_seed(9)
    ch = {4: 8, 8: 4, 16: 4}
    g_ema = Generator(16, 8, 1, channels=ch).eval()
    randomize(g_ema, gen)
    d = Discriminator(16, channels=ch)
    randomize(d, gen)
    z = torch.randn(2, 8, generator=gen)
    with torch.no_grad():
        img = g_ema(g_ema.style(z).unsqueeze(1).repeat(1, g_ema.n_latent, 1))
    path = os.path.join(ROOT, 'test/fixtures/stylegan2/tiny-rosinality.pt')
    torch.save({'g_ema': g_ema.state_dict(), 'd': d.state_dict(), 'check': {'z': z, 'images': img}}, path)
    print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    checkpoint_fixture()
    generator_fixture()
    discriminator_fixture()
    blocks_fixture()

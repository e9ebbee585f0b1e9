#!/usr/bin/python3
"""Parity fixtures for src/models/biggan/discriminator.ts: a plain-PyTorch
re-statement of ajbrock/BigGAN-PyTorch's projection `Discriminator`
(`BigGAN.py` D_arch / Discriminator, `layers.py` SN / SNConv2d / SNLinear /
SNEmbedding / Attention / DBlock), in two tiny configurations with random
orthogonal weights (fixed seed).

The spectral-norm buffers are made realistic first: a few forward passes in
training mode run the power iteration and write `u0` / `sv0`, as in a saved
checkpoint. The fixture outputs are then computed in eval mode (one power step
from the stored `u0`, nothing written back).

Writes into test/fixtures/biggan-d/, per configuration:
  <name>.safetensors     the state dict with the reference names (+ config JSON as metadata)
  <name>-io.safetensors  x (NHWC), classes, out, and for each SN layer its eval σ
                         (`sigma.<module>`); d32 also holds d(sum out)/dx (NHWC)
Run: /usr/bin/python3 tools/parity/biggan_d.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_safetensors import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'biggan-d')
os.makedirs(OUT, exist_ok=True)


# ----------------------------------------------------------------------------
# Spectral norm with one stored singular vector (num_svs = num_itrs = 1)
# ----------------------------------------------------------------------------
def power_step(w_mat, u, eps):
    """One power-iteration step from u [1,O] on W_mat [O,K]: returns σ (with grad through W only) and the new u."""
    with torch.no_grad():
        v = F.normalize(u @ w_mat, eps=eps)          # [1,K]
        u_new = F.normalize(v @ w_mat.t(), eps=eps)  # [1,O]
    sigma = torch.squeeze(v @ w_mat.t() @ u_new.t())
    return sigma, u_new


class SNMixin:
    """Adds the `u0` [1,O] / `sv0` [1] buffers and W / σ (σ from u0; u0, sv0 written only in training)."""

    def sn_setup(self, n_out, eps):
        self.sn_eps = eps
        self.register_buffer('u0', torch.randn(1, n_out))
        self.register_buffer('sv0', torch.ones(1))

    def sigma(self):
        return power_step(self.weight.view(self.weight.size(0), -1), self.u0, self.sn_eps)

    def sn_weight(self):
        s, u_new = self.sigma()
        if self.training:
            with torch.no_grad():
                self.u0[:] = u_new
                self.sv0[:] = s
        return self.weight / s


class SNConv(nn.Conv2d, SNMixin):
    def __init__(self, i, o, k=3, pad=1, bias=True, eps=1e-12):
        nn.Conv2d.__init__(self, i, o, k, padding=pad, bias=bias)
        self.sn_setup(o, eps)

    def forward(self, x):
        return F.conv2d(x, self.sn_weight(), self.bias, padding=self.padding)


class SNLin(nn.Linear, SNMixin):
    def __init__(self, i, o, eps=1e-12):
        nn.Linear.__init__(self, i, o)
        self.sn_setup(o, eps)

    def forward(self, x):
        return F.linear(x, self.sn_weight(), self.bias)


class SNEmbed(nn.Embedding, SNMixin):
    """σ over the [classes, C] table viewed with one row per class (u0 has one entry per class)."""

    def __init__(self, n, c, eps=1e-12):
        nn.Embedding.__init__(self, n, c)
        self.sn_setup(n, eps)

    def forward(self, y):
        return F.embedding(y, self.sn_weight())


class Attn(nn.Module):
    """SAGAN non-local block: θ, φ, g 1×1 convs (φ, g max-pooled 2×2), softmax over keys, o 1×1 conv, γ gain."""

    def __init__(self, c, eps):
        super().__init__()
        self.c = c
        conv = lambda i, o: SNConv(i, o, 1, 0, bias=False, eps=eps)
        self.theta, self.phi, self.g, self.o = conv(c, c // 8), conv(c, c // 8), conv(c, c // 2), conv(c // 2, c)
        self.gamma = nn.Parameter(torch.tensor(0.))

    def forward(self, x):
        n, _, h, w = x.shape
        ck, cv = self.c // 8, self.c // 2
        q = self.theta(x).view(n, ck, h * w)
        k = F.max_pool2d(self.phi(x), 2).view(n, ck, h * w // 4)
        v = F.max_pool2d(self.g(x), 2).view(n, cv, h * w // 4)
        att = torch.softmax(torch.bmm(q.transpose(1, 2), k), -1)         # [N,HW,HW/4]
        o = self.o(torch.bmm(v, att.transpose(1, 2)).view(n, cv, h, w))
        return x + self.gamma * o


class DBlk(nn.Module):
    """Residual D block: [ReLU] ⇒ conv1 ⇒ ReLU ⇒ conv2 ⇒ [avgpool]; shortcut conv_sc/avgpool (order by preactivation)."""

    def __init__(self, i, o, wide, pre, down, eps):
        super().__init__()
        hid = o if wide else i
        self.pre, self.down = pre, down
        self.conv1, self.conv2 = SNConv(i, hid, eps=eps), SNConv(hid, o, eps=eps)
        self.learnable_sc = i != o or down
        if self.learnable_sc:
            self.conv_sc = SNConv(i, o, 1, 0, eps=eps)

    def shortcut(self, x):
        if self.pre:
            if self.learnable_sc:
                x = self.conv_sc(x)
            if self.down:
                x = F.avg_pool2d(x, 2)
        else:
            if self.down:
                x = F.avg_pool2d(x, 2)
            if self.learnable_sc:
                x = self.conv_sc(x)
        return x

    def forward(self, x):
        h = F.relu(x) if self.pre else x
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        return h + self.shortcut(x)


def d_arch(ch, res):
    """(in channels, out channels, downsample, resolution label) per block: BigGAN-PyTorch's D_arch table."""
    m = {
        512: ([1, 1, 2, 4, 8, 8, 16], [1, 1, 2, 4, 8, 8, 16, 16], [256, 128, 64, 32, 16, 8, 4, 4]),
        256: ([1, 2, 4, 8, 8, 16], [1, 2, 4, 8, 8, 16, 16], [128, 64, 32, 16, 8, 4, 4]),
        128: ([1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 16], [64, 32, 16, 8, 4, 4]),
        64: ([1, 2, 4, 8], [1, 2, 4, 8, 16], [32, 16, 8, 4, 4]),
        32: ([4, 4, 4], [4, 4, 4, 4], [16, 16, 16, 16]),
    }[res]
    ins = [3] + [ch * k for k in m[0]]
    outs = [ch * k for k in m[1]]
    downs = [True, True, False, False] if res == 32 else [True] * (len(outs) - 1) + [False]
    return list(zip(ins, outs, downs, m[2]))


class Disc(nn.Module):
    def __init__(self, ch, res, wide, attn, n_classes, output_dim, eps):
        super().__init__()
        blocks = []
        for idx, (i, o, down, label) in enumerate(d_arch(ch, res)):
            blk = [DBlk(i, o, wide, idx > 0, down, eps)]
            if label in attn:
                blk.append(Attn(o, eps))
            blocks.append(nn.ModuleList(blk))
        self.blocks = nn.ModuleList(blocks)
        c = d_arch(ch, res)[-1][1]
        self.linear = SNLin(c, output_dim, eps)
        self.embed = SNEmbed(n_classes, c, eps)

    def forward(self, x, y):
        h = x
        for blk in self.blocks:
            for m in blk:
                h = m(h)
        h = torch.sum(F.relu(h), [2, 3])
        return self.linear(h) + torch.sum(self.embed(y) * h, 1, keepdim=True)


# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------
def make(name, cfg, n, classes, with_grad, seed):
    torch.manual_seed(seed)
    d = Disc(cfg['ch'], cfg['resolution'], cfg['wide'], cfg['attention'], cfg['numClasses'], cfg['outputDim'], cfg['snEps'])
    for mod in d.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear, nn.Embedding)):
            # Gaussian, not the reference's default 'ortho': orthogonal weights have all singular values
            # equal, so σ would not depend on u0 and the test could not see the power step.
            nn.init.normal_(mod.weight, 0, mod.weight[0].numel() ** -0.5)
        if isinstance(mod, nn.Conv2d) and mod.bias is not None:
            nn.init.uniform_(mod.bias, -0.2, 0.2)
        if isinstance(mod, Attn):
            mod.gamma.data.fill_(float(torch.empty(()).uniform_(0.3, 0.8)))  # 0 at init would hide the attention path
    r = cfg['resolution']
    # A few training-mode passes run the power iteration and write u0 / sv0, as in a saved checkpoint.
    d.train()
    with torch.no_grad():
        for _ in range(3):
            d(torch.randn(2, 3, r, r), torch.randint(0, cfg['numClasses'], (2,)))
    d.eval()
    x = torch.tanh(torch.randn(n, 3, r, r)).requires_grad_(with_grad)
    y = torch.tensor(classes, dtype=torch.int64)
    out = d(x, y)
    io = {
        'x': x.detach().permute(0, 2, 3, 1).contiguous().numpy(),
        'classes': y.to(torch.int32).numpy(),
        'out': out.detach().numpy(),
    }
    if with_grad:
        (gx,) = torch.autograd.grad(out.sum(), x)
        io['grad_x'] = gx.permute(0, 2, 3, 1).contiguous().numpy()
    with torch.no_grad():
        for mname, mod in d.named_modules():
            if isinstance(mod, SNMixin):
                io[f'sigma.{mname}'] = mod.sigma()[0].reshape(()).numpy()
    sd = {k: v.detach().numpy().copy() for k, v in d.state_dict().items()}
    meta = {'config': json.dumps(cfg), 'source': 'tools/parity/biggan_d.py'}
    write_safetensors(os.path.join(OUT, f'{name}.safetensors'), sd, meta)
    write_safetensors(os.path.join(OUT, f'{name}-io.safetensors'), io, meta)
    c1 = d.blocks[1][0].conv1
    print(f'{name}: {sum(v.size for v in sd.values())} stored values, out {tuple(out.shape)}; blocks.1.0.conv1: '
          f'sv0 {float(c1.sv0):.5f}, eval σ {float(c1.sigma()[0]):.5f}, top singular value '
          f'{float(torch.linalg.matrix_norm(c1.weight.view(c1.weight.size(0), -1), 2)):.5f}')


# 32 px: the reference labels every block "16", so attention at 16 follows all four blocks (8×8 after the second).
make('d32', {'resolution': 32, 'ch': 4, 'wide': True, 'attention': [16], 'numClasses': 5, 'outputDim': 1, 'snEps': 1e-6},
     n=3, classes=[0, 3, 4], with_grad=True, seed=0)
# 64 px: narrow blocks (hidden = in channels), attention at 8, two outputs, the class default SN eps.
make('d64', {'resolution': 64, 'ch': 2, 'wide': False, 'attention': [8], 'numClasses': 3, 'outputDim': 2, 'snEps': 1e-12},
     n=2, classes=[2, 1], with_grad=False, seed=1)

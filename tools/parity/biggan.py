#!/usr/bin/python3
"""Parity fixtures for src/models/biggan: plain-PyTorch re-statements of
  (a) huggingface/pytorch-pretrained-BigGAN's BigGAN-deep forward and
  (b) ajbrock/BigGAN-PyTorch's Generator forward (as BigGANsAreWatching uses it),
in tiny configurations with random weights (fixed seed). Writes, per model,
  <name>.pt      the state dict with the reference names (torch.save zip: also exercises our reader)
  <name>-io.pt   inputs and NHWC outputs
into test/fixtures/biggan/. Run: /usr/bin/python3 tools/parity/biggan.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'biggan')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
SN = nn.utils.spectral_norm


# ----------------------------------------------------------------------------
# (a) BigGAN-deep, pytorch-pretrained-BigGAN structure and names
# ----------------------------------------------------------------------------
class DeepBN(nn.Module):
    def __init__(self, c, cond=None, n_stats=51, eps=1e-4):
        super().__init__()
        self.eps, self.step = eps, 1.0 / (n_stats - 1)
        self.register_buffer('running_means', torch.randn(n_stats, c) * 0.2)
        self.register_buffer('running_vars', torch.rand(n_stats, c) + 0.5)
        self.conditional = cond is not None
        if self.conditional:
            self.scale = SN(nn.Linear(cond, c, bias=False), eps=eps)
            self.offset = SN(nn.Linear(cond, c, bias=False), eps=eps)
        else:
            self.weight = nn.Parameter(torch.rand(c) + 0.5)
            self.bias = nn.Parameter(torch.randn(c) * 0.1)

    def forward(self, x, t, cond=None):
        coef, start = math.modf(t / self.step)
        start = int(start)
        if coef != 0.0:
            m = self.running_means[start] * coef + self.running_means[start + 1] * (1 - coef)
            v = self.running_vars[start] * coef + self.running_vars[start + 1] * (1 - coef)
        else:
            m, v = self.running_means[start], self.running_vars[start]
        if self.conditional:
            w = 1 + self.scale(cond)[:, :, None, None]
            b = self.offset(cond)[:, :, None, None]
            return (x - m[None, :, None, None]) / torch.sqrt(v[None, :, None, None] + self.eps) * w + b
        return F.batch_norm(x, m, v, self.weight, self.bias, training=False, momentum=0.0, eps=self.eps)


class DeepAttn(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        conv = lambda i, o: SN(nn.Conv2d(i, o, 1, bias=False), eps=eps)
        self.snconv1x1_theta, self.snconv1x1_phi = conv(c, c // 8), conv(c, c // 8)
        self.snconv1x1_g, self.snconv1x1_o_conv = conv(c, c // 2), conv(c // 2, c)
        self.gamma = nn.Parameter(torch.tensor([0.7]))

    def forward(self, x):
        n, c, h, w = x.shape
        theta = self.snconv1x1_theta(x).view(n, c // 8, h * w)
        phi = F.max_pool2d(self.snconv1x1_phi(x), 2).view(n, c // 8, h * w // 4)
        attn = torch.softmax(torch.bmm(theta.permute(0, 2, 1), phi), -1)
        g = F.max_pool2d(self.snconv1x1_g(x), 2).view(n, c // 2, h * w // 4)
        o = self.snconv1x1_o_conv(torch.bmm(g, attn.permute(0, 2, 1)).view(n, c // 2, h, w))
        return x + self.gamma * o


class DeepBlock(nn.Module):
    def __init__(self, i, o, cond, up, n_stats, eps):
        super().__init__()
        m = i // 4
        self.up, self.drop = up, i != o
        self.bn_0, self.bn_1 = DeepBN(i, cond, n_stats, eps), DeepBN(m, cond, n_stats, eps)
        self.bn_2, self.bn_3 = DeepBN(m, cond, n_stats, eps), DeepBN(m, cond, n_stats, eps)
        self.conv_0 = SN(nn.Conv2d(i, m, 1), eps=eps)
        self.conv_1 = SN(nn.Conv2d(m, m, 3, padding=1), eps=eps)
        self.conv_2 = SN(nn.Conv2d(m, m, 3, padding=1), eps=eps)
        self.conv_3 = SN(nn.Conv2d(m, o, 1), eps=eps)

    def forward(self, x, cond, t):
        h = self.conv_0(F.relu(self.bn_0(x, t, cond)))
        h = F.relu(self.bn_1(h, t, cond))
        if self.up:
            h = F.interpolate(h, scale_factor=2, mode='nearest')
        h = self.conv_1(h)
        h = self.conv_2(F.relu(self.bn_2(h, t, cond)))
        h = self.conv_3(F.relu(self.bn_3(h, t, cond)))
        if self.drop:
            x = x[:, : x.shape[1] // 2]
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
        return h + x


class DeepGenerator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, cond, eps, ns = cfg['channel_width'], 2 * cfg['z_dim'], cfg['eps'], cfg['n_stats']
        self.ch = ch
        self.gen_z = SN(nn.Linear(cond, 4 * 4 * 16 * ch), eps=eps)
        layers = []
        for i, (up, a, b) in enumerate(cfg['layers']):
            if i == cfg['attention_layer_position']:
                layers.append(DeepAttn(ch * a, eps))
            layers.append(DeepBlock(ch * a, ch * b, cond, up, ns, eps))
        self.layers = nn.ModuleList(layers)
        self.bn = DeepBN(ch, None, ns, eps)
        self.conv_to_rgb = SN(nn.Conv2d(ch, ch, 3, padding=1), eps=eps)

    def forward(self, cond, t):
        z = self.gen_z(cond).view(-1, 4, 4, 16 * self.ch).permute(0, 3, 1, 2).contiguous()
        for layer in self.layers:
            z = layer(z, cond, t) if isinstance(layer, DeepBlock) else layer(z)
        z = self.conv_to_rgb(F.relu(self.bn(z, t)))
        return torch.tanh(z[:, :3])


class DeepBigGAN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = nn.Linear(cfg['num_classes'], cfg['z_dim'], bias=False)
        self.generator = DeepGenerator(cfg)

    def forward(self, z, one_hot, t):
        return self.generator(torch.cat((z, self.embeddings(one_hot)), 1), t)


# ----------------------------------------------------------------------------
# (b) BigGAN, BigGAN-PyTorch structure and names
# ----------------------------------------------------------------------------
class SNMixin:
    """Stored u0/sv0; one power-iteration step per forward from u0 (updated only in training)."""

    def sn_init(self, out, eps):
        self.sn_eps = eps
        self.register_buffer('u0', torch.randn(1, out))
        self.register_buffer('sv0', torch.ones(1))

    def W_(self):
        W = self.weight.view(self.weight.size(0), -1)
        with torch.no_grad():
            v = F.normalize(torch.matmul(self.u0, W), eps=self.sn_eps)
            u = F.normalize(torch.matmul(v, W.t()), eps=self.sn_eps)
            if self.training:
                self.u0[:] = u
        sv = torch.squeeze(torch.matmul(torch.matmul(v, W.t()), u.t()))
        if self.training:
            self.sv0[:] = sv
        return self.weight / sv


class SNConv2d(nn.Conv2d, SNMixin):
    def __init__(self, i, o, k=3, padding=1, bias=True, eps=1e-12):
        nn.Conv2d.__init__(self, i, o, k, padding=padding, bias=bias)
        self.sn_init(o, eps)

    def forward(self, x):
        return F.conv2d(x, self.W_(), self.bias, 1, self.padding)


class SNLinear(nn.Linear, SNMixin):
    def __init__(self, i, o, bias=True, eps=1e-12):
        nn.Linear.__init__(self, i, o, bias)
        self.sn_init(o, eps)

    def forward(self, x):
        return F.linear(x, self.W_(), self.bias)


class CCBN(nn.Module):
    def __init__(self, c, cond, bn_eps, sn_eps):
        super().__init__()
        self.gain, self.bias = SNLinear(cond, c, False, sn_eps), SNLinear(cond, c, False, sn_eps)
        self.eps = bn_eps
        self.register_buffer('stored_mean', torch.zeros(c))
        self.register_buffer('stored_var', torch.ones(c))

    def forward(self, x, y):
        gain = (1 + self.gain(y)).view(y.size(0), -1, 1, 1)
        bias = self.bias(y).view(y.size(0), -1, 1, 1)
        return F.batch_norm(x, self.stored_mean, self.stored_var, None, None, self.training, 0.1, self.eps) * gain + bias


class BN(nn.Module):
    def __init__(self, c, eps=1e-5):
        super().__init__()
        self.gain, self.bias = nn.Parameter(torch.rand(c) + 0.5), nn.Parameter(torch.randn(c) * 0.1)
        self.eps = eps
        self.register_buffer('stored_mean', torch.zeros(c))
        self.register_buffer('stored_var', torch.ones(c))

    def forward(self, x):
        return F.batch_norm(x, self.stored_mean, self.stored_var, self.gain, self.bias, self.training, 0.1, self.eps)


class GBlock(nn.Module):
    def __init__(self, i, o, cond, bn_eps, sn_eps):
        super().__init__()
        self.conv1, self.conv2 = SNConv2d(i, o, eps=sn_eps), SNConv2d(o, o, eps=sn_eps)
        self.conv_sc = SNConv2d(i, o, 1, 0, eps=sn_eps)
        self.bn1, self.bn2 = CCBN(i, cond, bn_eps, sn_eps), CCBN(o, cond, bn_eps, sn_eps)

    def forward(self, x, y):
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2)
        x = F.interpolate(x, scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), y)))
        return h + self.conv_sc(x)


class Attention(nn.Module):
    def __init__(self, c, sn_eps):
        super().__init__()
        conv = lambda i, o: SNConv2d(i, o, 1, 0, bias=False, eps=sn_eps)
        self.c = c
        self.theta, self.phi, self.g, self.o = conv(c, c // 8), conv(c, c // 8), conv(c, c // 2), conv(c // 2, c)
        self.gamma = nn.Parameter(torch.tensor(0.6))

    def forward(self, x, y=None):
        c, hw = self.c, x.shape[2] * x.shape[3]
        theta = self.theta(x).view(-1, c // 8, hw)
        phi = F.max_pool2d(self.phi(x), [2, 2]).view(-1, c // 8, hw // 4)
        g = F.max_pool2d(self.g(x), [2, 2]).view(-1, c // 2, hw // 4)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), -1)
        o = self.o(torch.bmm(g, beta.transpose(1, 2)).view(-1, c // 2, x.shape[2], x.shape[3]))
        return self.gamma * o + x


ARCH = {32: ([4, 4, 4], [4, 4, 4]), 64: ([16, 16, 8, 4], [16, 8, 4, 2]), 128: ([16, 16, 8, 4, 2], [16, 8, 4, 2, 1])}


class Generator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ins, outs = [cfg['ch'] * m for m in ARCH[cfg['resolution']][0]], [cfg['ch'] * m for m in ARCH[cfg['resolution']][1]]
        self.hier = cfg['hier']
        slots = len(ins) + 1 if self.hier else 1
        self.chunk = cfg['dim_z'] // slots if self.hier else 0
        self.dim_z = self.chunk * slots if self.hier else cfg['dim_z']
        cond = cfg['shared_dim'] + self.chunk
        self.shared = nn.Embedding(cfg['n_classes'], cfg['shared_dim'])
        self.linear = SNLinear(self.dim_z // slots, ins[0] * 16, eps=cfg['sn_eps'])
        blocks = []
        for k, (i, o) in enumerate(zip(ins, outs)):
            b = [GBlock(i, o, cond, cfg['bn_eps'], cfg['sn_eps'])]
            if 8 * 2 ** k in cfg['attention']:
                b.append(Attention(o, cfg['sn_eps']))
            blocks.append(nn.ModuleList(b))
        self.blocks = nn.ModuleList(blocks)
        self.output_layer = nn.Sequential(BN(outs[-1]), nn.ReLU(), SNConv2d(outs[-1], 3, eps=cfg['sn_eps']))

    def forward(self, z, y):
        if self.hier:
            zs = torch.split(z, self.chunk, 1)
            z, ys = zs[0], [torch.cat([y, item], 1) for item in zs[1:]]
        else:
            ys = [y] * len(self.blocks)
        h = self.linear(z).view(z.size(0), -1, 4, 4)
        for index, blocklist in enumerate(self.blocks):
            for block in blocklist:
                h = block(h, ys[index])
        return torch.tanh(self.output_layer(h))


# ----------------------------------------------------------------------------
def nhwc(x):
    return x.permute(0, 2, 3, 1).contiguous()


def deep_fixture():
    cfg = dict(output_dim=32, z_dim=8, class_embed_dim=8, channel_width=4, num_classes=5,
               layers=[(False, 16, 16), (True, 16, 8), (True, 8, 4), (False, 4, 2), (True, 2, 1)],
               attention_layer_position=2, eps=1e-4, n_stats=51)
    m = DeepBigGAN(cfg)
    z0, oh0 = torch.randn(4, 8), F.one_hot(torch.tensor([0, 1, 2, 3]), 5).float()
    m.train()
    with torch.no_grad():
        for _ in range(8):  # power iterations: realistic u, v
            m(z0, oh0, 1.0)
    m.eval()
    z = torch.randn(2, 8).clamp(-2, 2) * 0.5
    classes = torch.tensor([3, 1])
    io = {'z': z, 'classes': classes}
    with torch.no_grad():
        for t, name in [(1.0, 't100'), (0.4, 't040'), (0.37, 't037')]:
            io['out_' + name] = nhwc(m(z, F.one_hot(classes, 5).float(), t))
    torch.save(m.state_dict(), os.path.join(OUT, 'deep-tiny.pt'))
    torch.save(io, os.path.join(OUT, 'deep-tiny-io.pt'))
    json.dump(cfg, open(os.path.join(OUT, 'deep-tiny-config.json'), 'w'))


def biggan_fixture(name, cfg):
    g = Generator(cfg)
    g.train()
    with torch.no_grad():
        for _ in range(8):  # power iterations and batch-norm statistics
            g(torch.randn(4, g.dim_z), g.shared(torch.tensor([0, 1, 2, 3]) % cfg['n_classes']))
    g.eval()
    z = torch.randn(2, g.dim_z)
    classes = torch.tensor([2, 0])
    with torch.no_grad():
        out = g(z, g.shared(classes))
    torch.save(g.state_dict(), os.path.join(OUT, name + '.pt'))
    torch.save({'z': z, 'classes': classes, 'out': nhwc(out)}, os.path.join(OUT, name + '-io.pt'))


deep_fixture()
biggan_fixture('biggan-tiny-hier', dict(resolution=32, ch=4, dim_z=12, shared_dim=8, hier=True, attention=[16], n_classes=5, bn_eps=1e-4, sn_eps=1e-4))
biggan_fixture('biggan-tiny-flat', dict(resolution=64, ch=2, dim_z=6, shared_dim=6, hier=False, attention=[32], n_classes=3, bn_eps=1e-5, sn_eps=1e-8))
print({f: os.path.getsize(os.path.join(OUT, f)) for f in sorted(os.listdir(OUT))})

#!/usr/bin/env python3
"""Reference fixtures for gan-segmenter's ILSGAN LayeredGenerator, made by the *official*
code (qrzou/ILSGAN `training/networks.py`, built on NVlabs stylegan2-ada-pytorch), not by a
re-statement.

The official files (`training/`, `torch_utils/`, `dnnlib/`) are extracted from a fetched copy
of the repository into /tmp; nothing of them is copied into our tree. What the harness changes:

- NVlabs' custom CUDA ops are forced onto their pure-PyTorch reference paths: `upfirdn2d` and
  `bias_act` are wrapped to pass `impl='ref'`, and their `_init` (plugin build) returns False.
  (On CPU they would fall back anyway; this makes it explicit.)
- `training/augment.py` (imported by networks.py for the affine layer transform, unused here:
  the ILS configs only blit) imports `scipy.signal`, which is not installed: a stub module.

The generator is `PerturbGenerator` at 32² with narrow channels (channel_base 256,
channel_max 32: 4→32, 8→32, 16→16, 32→8), z_dim = w_dim = 16, a 2-layer mapping, conv_clamp
256, num_fp16_res 0, xint_max 0.125 (train_ILS_64.py's value). Every parameter and buffer is
seeded (noise strengths, biases and w_avg are zero at init and would test nothing).
Eval mode, noise_mode='const' throughout.

Fixture `test/fixtures/ilsgan/small32` (JSON index {name: {shape, offset}} + float32 .bin,
NCHW as PyTorch), keys:
- `g.<official state-dict key>`: the full state dict (buffers included: w_avg, noise_const,
  resample_filter).
- `z` [2,16]; `fwd.*`: `forward(z, None, return_layers=True)` at ψ 1: bg, fg, mask,
  fg_white (its "fg*mask", fg on white), img.
- `gl.*`: `generate_layer(z, None, eps, truncation_psi=0.7)`: the base layer (bg, fg, mask,
  fg_black = its "fg*mask", fg on black, img) and `t.*` the transformed one (`Tx(layer, eps)`),
  for `eps` [[0.625, -0.875], [0.125, -0.625]]: eps·xint_max·W = (2.5, −3.5), (0.5, −2.5)
  pixels → torch.round half-to-even → shifts (2, −4), (0, −2).
- `clamp.img`: `forward` at ψ 1 with every layer's conv_clamp set to 0.7 (clamping active).

Fixture `test/fixtures/ilsgan/train16` (training pieces; `training/loss.py` is imported with a stub
`torchvision` and `pixelcnnpp` extracted too): `d.*` a seeded `DiscriminatorOpen` at 16², `dx.x` its
input and `dx.logits`; `l.*` the ILS_predL `estimate_MI` value, its permutations and gradients, and
loss.py's binarization / mask-size expressions on fixed tensors. `ILSGAN_PARITY_ONLY=train` writes only it.

Run: /usr/bin/python3 tools/parity/ilsgan.py [path to the fetched repo's git dir]
"""
import io
import os
import subprocess
import sys
import tarfile
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
REPO = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/qrzou+ILSGAN/repo'
TMP = '/tmp/ilsgan-ref'

sys.path.insert(0, HERE)
import stylegan2 as ours  # noqa: E402  (only its fixture writer)


def official_networks():
    os.makedirs(TMP, exist_ok=True)
    tar = subprocess.run(['git', '--git-dir', REPO, 'archive', 'HEAD', 'training', 'torch_utils', 'dnnlib', 'pixelcnnpp'],
                         check=True, capture_output=True).stdout
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(TMP)
    scipy = types.ModuleType('scipy')
    scipy.signal = types.ModuleType('scipy.signal')
    sys.modules['scipy'] = scipy
    sys.modules['scipy.signal'] = scipy.signal
    sys.modules.setdefault('torchvision', types.ModuleType('torchvision'))  # imported, unused, by training/loss.py
    sys.path.insert(0, TMP)
    from torch_utils.ops import upfirdn2d, bias_act
    for mod, name in ((upfirdn2d, 'upfirdn2d'), (bias_act, 'bias_act')):
        fn = getattr(mod, name)
        setattr(mod, name, lambda *a, _fn=fn, **k: _fn(*a, **{**k, 'impl': 'ref'}))
        mod._init = lambda: False
    import training.networks as networks
    return networks


N = official_networks()


def randomize(g, gen):
    with torch.no_grad():
        for name, p in g.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            lr = 0.01 if '.fc' in name and name.startswith('mapping') else 1.0
            if name.endswith('noise_strength'):
                p.copy_(0.3 * r)
            elif name.endswith('affine.bias'):
                p.copy_(1 + 0.1 * r)
            elif name.endswith('bias'):
                p.copy_(0.2 * r / lr)
            else:
                p.copy_(r / lr)
        for name, b in g.named_buffers():
            if name.endswith('noise_const'):
                b.copy_(torch.randn(b.shape, generator=gen))
            elif name.endswith('w_avg'):
                b.copy_(0.5 * torch.randn(b.shape, generator=gen))


def small32():
    g = N.PerturbGenerator(z_dim=16, c_dim=0, w_dim=16, img_resolution=32, img_channels=3,
                           mapping_kwargs=dict(num_layers=2),
                           layer_t_kwargs=dict(bg_contrast=0., xint_max=0.125, scale_max=0., rotate_max=0., xfrac_max=0.),
                           synthesis_kwargs=dict(channel_base=256, channel_max=32, num_fp16_res=0, conv_clamp=256))
    randomize(g, torch.Generator().manual_seed(21))
    g.eval()
    assert g.eps_dim == 2
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(22))
    eps = torch.tensor([[0.625, -0.875], [0.125, -0.625]])
    out = {f'g.{k}': v for k, v in g.state_dict().items()}
    out['z'] = z
    with torch.no_grad():
        f = g(z, None, return_layers=True, noise_mode='const')
        out.update({'fwd.bg': f['bg'], 'fwd.fg': f['fg'], 'fwd.mask': f['mask'], 'fwd.fg_white': f['fg*mask'], 'fwd.img': f['img']})
        layer, t_layer, _ = g.generate_layer(z, None, eps, truncation_psi=0.7, noise_mode='const')
        for pre, l in (('gl.', layer), ('gl.t.', t_layer)):
            out.update({pre + 'bg': l['bg'], pre + 'fg': l['fg'], pre + 'mask': l['mask'], pre + 'fg_black': l['fg*mask'], pre + 'img': l['img']})
        for m in g.modules():
            if hasattr(m, 'conv_clamp') and m.conv_clamp is not None:
                m.conv_clamp = 0.7
        out['clamp.img'] = g(z, None, noise_mode='const')
    print('small32: mask', float(f['mask'].min()), float(f['mask'].max()), 'img std', float(f['img'].std()),
          'clamp changes img by', float((out['clamp.img'] - f['img']).abs().max()))
    return out


def disc16():
    """`DiscriminatorOpen` (c_dim 0, resnet, mbstd 4) at 16² with channel_base 64, channel_max 16
    (16→4, 8→8, 4→16), conv_clamp 256, every parameter seeded; logits of 4 images."""
    d = N.DiscriminatorOpen(c_dim=0, img_resolution=16, img_channels=3, channel_base=64, channel_max=16,
                            num_fp16_res=0, conv_clamp=256, epilogue_kwargs=dict(mbstd_group_size=4))
    gen = torch.Generator().manual_seed(31)
    with torch.no_grad():
        for name, p in d.named_parameters():
            p.copy_((0.2 if name.endswith('bias') else 1.0) * torch.randn(p.shape, generator=gen))
    d.eval()
    x = torch.randn(4, 3, 16, 16, generator=gen).clamp(-1.5, 1.5)
    out = {f'd.{k}': v for k, v in d.state_dict().items() if not k.endswith('resample_filter')}
    out['dx.x'] = x
    with torch.no_grad():
        out['dx.logits'] = d(x, None)
    print('disc16: logits', out['dx.logits'].flatten().tolist())
    return out


def losses():
    """The ILS_predL loss terms on fixed small tensors: `estimate_MI` (official code; CLUB, predetermined
    Laplace, do_mean, separate_mi with opt_mask) with the permutations it drew, its gradients w.r.t. fg,
    bg, mask (the (−1,1) validity detach), and binarization / mask size as loss.py's Gmain writes them."""
    import training.loss as L
    gen = torch.Generator().manual_seed(41)
    n = 4
    fg = (1.3 * torch.randn(n, 3, 8, 8, generator=gen)).requires_grad_(True)
    bg = (1.3 * torch.randn(n, 3, 8, 8, generator=gen)).requires_grad_(True)
    mask = torch.rand(n, 1, 8, 8, generator=gen).requires_grad_(True)
    form = dict(mode='anti_leakage', estimator='club', distribution='predetermined_laplace', scale='do_mean', neg_weight=1.0,
                mf_conditioned_b=dict(do_mf=False, do_inv=False, mask_condition=False, opt_mask=False, opt_fg=False, opt_bg=False),
                separate_mi=dict(do_separate=True, stop_grad=False, opt_mask=True))
    perms = []
    real_randperm = torch.randperm
    def randperm(k, *a, **kw):
        p = real_randperm(k, generator=gen)
        perms.append(p)
        return p
    L.torch.randperm = randperm
    self = types.SimpleNamespace()
    self.compute_club_mi = lambda *a, **k: L.ILSLoss.compute_club_mi(self, *a, **k)
    self.get_l1_norm = lambda *a, **k: L.ILSLoss.get_l1_norm(self, *a, **k)
    with torch.enable_grad():
        mi = L.ILSLoss.estimate_MI(self, dict(fg=fg, bg=bg, mask=mask), 0.2, form)
        mi.backward()
    L.torch.randperm = real_randperm
    assert len(perms) == 2
    m = mask.detach()
    out = {'l.fg': fg.detach(), 'l.bg': bg.detach(), 'l.mask': m, 'l.perm0': perms[0].float(), 'l.perm1': perms[1].float(),
           'l.mi': mi.detach().reshape([1]), 'l.grad_fg': fg.grad, 'l.grad_bg': bg.grad, 'l.grad_mask': mask.grad}
    # loss.py Gmain, verbatim expressions
    out['l.bin'] = torch.min(1 - m, m).mean(dim=[2, 3]).flatten()
    out['l.msize'] = torch.nn.functional.relu(0.25 - m.mean(dim=(2, 3))).flatten()
    out['l.msize_noperturb'] = (torch.nn.functional.relu(0.25 - m.mean(dim=(2, 3))) + torch.nn.functional.relu(0.25 - (1 - m.mean(dim=(2, 3))))).flatten()
    small = 0.15 * m  # masks below min_msize, so the hinge is active
    out['l.small_mask'] = small
    out['l.small_msize'] = torch.nn.functional.relu(0.25 - small.mean(dim=(2, 3))).flatten()
    print('losses: mi', float(mi), 'perms', [p.tolist() for p in perms])
    return out


if __name__ == '__main__':
    dest = os.path.join(ROOT, 'test', 'fixtures', 'ilsgan')
    os.makedirs(dest, exist_ok=True)
    torch.set_grad_enabled(False)
    if os.environ.get('ILSGAN_PARITY_ONLY') != 'train':
        ours.write(os.path.join(dest, 'small32'), small32())
    ours.write(os.path.join(dest, 'train16'), {**disc16(), **losses()})

#!/usr/bin/env python3
"""Reference fixtures for gan-segmenter's Labels4Free AlphaBranch, made by the
*official* code (RameenAbdal/Labels4Free, `model_new.py`), not by a re-statement.

The official file is read from a fetched copy of the repository and written under
/tmp; nothing of it is copied into our tree. What the harness changes, and why:

- `op` (rosinality's CUDA extensions, compiled on import) is replaced by the
  pure-PyTorch `upfirdn2d` / `fused_leaky_relu` / `FusedLeakyReLU` of our own
  tools/parity/stylegan2.py (same signatures, same parameter names).
- The channel tables are hard-coded in the constructors (512 up to 32×32, and
  the alpha net's `tensor_resolutions` per image size). Class properties whose
  setters ignore the constructor's assignment give narrow tables instead, so the
  fixtures stay small; the code that uses the tables runs unchanged.
- `Generator.__init__` keeps two unused references `conv1.conv.modulation.weight[0]`
  and `[148]` (`actual_tensor`, `actual_tensor2`), which need ≥ 149 channels at
  4×4. Those two dead lines are replaced by `None` in the /tmp copy (asserted to
  occur exactly once each).
- `res_idx` only knows 256/512/1024: it is set on the instance for other sizes.

Fixtures (JSON index {name: {shape, offset}} + float32 .bin, NCHW as PyTorch):

- `test/fixtures/labels4free/repro256`: size 256, `bg_extractor_repro` (the class
  `test_sample.py` loads the released `bg_extractor_ema` into; its key names),
  `min_res` 8 / `res_idx` 1 as train.py. One z; train.py's latent handling
  (fg truncated at 0.7 toward mean_latent, bg = same z, untruncated, `back=True`).
  Stores weights, z, mean_latent, α and the composite (fg and bg are checked at
  64 below, and through the composite here, to keep the fixture small).
- `test/fixtures/labels4free/small64`: size 64, which the reference does not
  support as such: the alpha net reads every block from 8×8 (4 pairs) and is the
  official generic `bg_extractor` (numerically the same net as the repro one)
  with a 4-entry `tensor_resolutions` and its merge list cut from 4 to K − 2 = 2
  (its `zip` then runs 2 merges and the last pair is added, as at 6 pairs), keys
  renamed to the repro names (conv_fns0.k → conv{2k+1}, conv_fns1.k → conv{2k+2},
  conv_merge_fns.k → conv_next{k+1 or ''}). Batch 2: train mode (fg at ψ 0.7, bg same z ψ 1), sample mode
  (test_sample.py: separate z2, both ψ 0.5; its composite is the same formula, not
  stored), and the background with the 512×512
  rule (constant input zeroed instead of conv1's output; `size` set to 512).

All noise is the stored `noises.noise_i` (randomize_noise=False).

Run: /usr/bin/python3 tools/parity/labels4free.py [path to the fetched repo's git dir]
"""
import os
import subprocess
import sys
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
REPO = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/RameenAbdal+Labels4Free/repo'
TMP = '/tmp/labels4free-ref'

sys.path.insert(0, HERE)
import stylegan2 as ours  # noqa: E402  (our pure-PyTorch rosinality ops)


def official_module():
    os.makedirs(TMP, exist_ok=True)
    src = subprocess.run(['git', '--git-dir', REPO, 'show', 'HEAD:model_new.py'], check=True,
                         capture_output=True, text=True).stdout
    for dead in ['self.actual_tensor = self.conv1.conv.modulation.weight[0, :]',
                 'self.actual_tensor2 = self.conv1.conv.modulation.weight[148, :]']:
        assert src.count(dead) == 1, dead
        src = src.replace(dead, dead.split(' = ')[0] + ' = None')
    with open(os.path.join(TMP, 'model_new.py'), 'w') as f:
        f.write(src)
    op = types.ModuleType('op')
    op.upfirdn2d = ours.upfirdn2d
    op.fused_leaky_relu = ours.fused_leaky_relu
    op.FusedLeakyReLU = ours.FusedLeakyReLU
    sys.modules['op'] = op
    sys.path.insert(0, TMP)
    import model_new
    return model_new


M = official_module()
TABLE = {}  # what the patched properties return
M.Generator.channels = property(lambda self: TABLE['g'], lambda self, v: None)
M.bg_extractor_repro.tensor_resolutions = property(lambda self: TABLE['a'], lambda self, v: None)
M.bg_extractor.tensor_resolutions = property(lambda self: TABLE['a'], lambda self, v: None)


def randomize(module, gen):
    """Seeded weights everywhere, biases and noise strengths included (several init to 0).
    Mapping layers (`style.*`, lr_mul 0.01) store weight/lr_mul as the reference's init does."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            lr = 0.01 if name.startswith('style.') else 1.0
            if name.endswith('noise.weight'):
                p.copy_(0.3 * r)
            elif name.endswith('modulation.bias'):
                p.copy_(1 + 0.1 * r)
            elif name.endswith('bias'):
                p.copy_(0.2 * r / lr)
            else:
                p.copy_(r / lr)
        for name, b in module.named_buffers():
            if name.startswith('noises.'):
                b.copy_(torch.randn(b.shape, generator=gen))


def gen_state(g):
    return {k: v for k, v in g.state_dict().items() if not k.endswith('.kernel')}


def make_generator(size, channels, style_dim, n_mlp, first, seed):
    TABLE['g'] = channels
    g = M.Generator(size, style_dim, n_mlp, channel_multiplier=1)
    g.res_idx = {size: first}
    randomize(g, torch.Generator().manual_seed(seed))
    g.eval()
    return g


def run(g, z, psi, mean, back):
    img, feats = g([z], truncation=psi, truncation_latent=mean, randomize_noise=False, back=back)
    return img, feats


BIG_NOISE = [f'noises.noise_{i}' for i in (9, 10, 11, 12)]  # 128², 128², 256², 256²


def repro256():
    size, d = 256, 16
    ch = {4: 16, 8: 16, 16: 16, 32: 8, 64: 8, 128: 8, 256: 8}
    g = make_generator(size, ch, d, 2, 1, seed=1)  # res_idx[256] = 1, as the reference
    for k in BIG_NOISE:  # size: the 128² and 256² noise buffers are zero and left out (the test adds zeros)
        getattr(g.noises, k.split('.')[1]).zero_()
    TABLE['a'] = [ch[r] for r in (8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256)]
    a = M.bg_extractor_repro(image_size=size, min_res=8)  # train.py: min_res[256] = 8
    torch.manual_seed(2)
    a.apply(lambda m: m.reset_parameters() if isinstance(m, torch.nn.Conv2d) else None)
    a.eval()
    torch.manual_seed(3)
    mean = g.mean_latent(4096)
    z = torch.randn(1, d, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        fg, feats = run(g, z, 0.7, mean, False)
        bg, _ = run(g, z, 1, None, True)
        alpha = a(feats)
        comp = fg * alpha + (1 - alpha) * bg
    out = {f'g.{k}': v for k, v in gen_state(g).items() if k not in BIG_NOISE}
    out.update({f'a.{k}': v for k, v in a.state_dict().items()})
    out.update({'z': z, 'mean_latent': mean, 'train.alpha': alpha, 'train.composite': comp})
    print('repro256: alpha', float(alpha.min()), float(alpha.max()), 'features', [tuple(f.shape) for f in feats])
    return out


def repro_name(key, pairs):
    """Generic bg_extractor key → bg_extractor_repro key ."""
    head, idx, tail = key.split('.', 2) if key.count('.') == 2 else (key.split('.')[0], None, key.split('.')[1])
    if head == 'conv_n':
        return key
    k = int(idx)
    if head == 'conv_fns0':
        return f'conv{2 * k + 1}.{tail}'
    if head == 'conv_fns1':
        return f'conv{2 * k + 2}.{tail}'
    if head == 'conv_merge_fns':
        assert k < pairs - 2
        return f'conv_next{"" if k == 0 else k + 1}.{tail}'
    raise KeyError(key)


def small64():
    size, d = 64, 16
    ch = {4: 16, 8: 16, 16: 12, 32: 8, 64: 8}
    g = make_generator(size, ch, d, 2, 1, seed=11)
    TABLE['a'] = [ch[r] for r in (8, 16, 32, 64)]
    a = M.bg_extractor(image_size=size, min_res=8)
    a.conv_merge_fns = torch.nn.ModuleList(list(a.conv_merge_fns)[:2])  # K − 2 merges for K = 4 pairs
    torch.manual_seed(12)
    a.apply(lambda m: m.reset_parameters() if isinstance(m, torch.nn.Conv2d) else None)
    a.eval()
    torch.manual_seed(13)
    mean = g.mean_latent(4096)
    zg = torch.Generator().manual_seed(14)
    z, z2 = torch.randn(2, d, generator=zg), torch.randn(2, d, generator=zg)
    out = {f'g.{k}': v for k, v in gen_state(g).items()}
    for k, v in a.state_dict().items():
        name = repro_name(k, 4)
        if name is not None:
            out[f'a.{name}'] = v
    with torch.no_grad():
        fg, feats = run(g, z, 0.7, mean, False)  # train.py: fg truncated
        bg, _ = run(g, z, 1, None, True)         # train.py: bg from the same z, no truncation
        alpha = a(feats)
        out.update({'train.fg': fg, 'train.bg': bg, 'train.alpha': alpha,
                    'train.composite': fg * alpha + (1 - alpha) * bg})
        sfg, sfeats = run(g, z, 0.5, mean, False)  # test_sample.py: z, ψ 0.5
        sbg, _ = run(g, z2, 0.5, mean, True)       # test_sample.py: separate z2, ψ 0.5
        salpha = a(sfeats)
        out.update({'sample.fg': sfg, 'sample.bg': sbg, 'sample.alpha': salpha})
        g.size, g.res_idx = 512, {512: 1}  # the 512×512 rule: the constant input is zeroed
        bg512, _ = run(g, z, 1, None, True)
        out['bg512'] = bg512
    out.update({'z': z, 'z2': z2, 'mean_latent': mean})
    print('small64: alpha', float(alpha.min()), float(alpha.max()), 'sample alpha', float(salpha.min()), float(salpha.max()))
    print('  max |bg512 - bg|', float((bg512 - bg).abs().max()), ' max |fg - bg|', float((fg - bg).abs().max()))
    return out


if __name__ == '__main__':
    dest = os.path.join(ROOT, 'test', 'fixtures', 'labels4free')
    os.makedirs(dest, exist_ok=True)
    torch.set_grad_enabled(False)
    ours.write(os.path.join(dest, 'repro256'), repro256())
    ours.write(os.path.join(dest, 'small64'), small64())

#!/usr/bin/env python3
"""Reference fixtures for gan-segmenter's GANSeg PartGenerator, made by the *official* code
(xingzhehe/GANSeg `models/generator.py`, `models/heatmaps.py`, `models/sync_batchnorm`), not by a
re-statement.

The official `models/` folder is read from a fetched copy of the repository (`git archive`) and
written under /tmp; nothing of it is copied into our tree. The forward code runs unchanged. What
the harness changes on the built module, and why:

- Size. The official `Generator` hard-codes the SPADE hidden width (128) and, for the classes of
  the paper (celeba/taichi/flower/cub), a 512-channel first block. The harness builds the generic
  branch (`class_name='tiny'`, channels from `feature_map_channels`) and swaps every SPADE's
  `conv`/`conv_gamma`/`conv_beta` for narrower ones (hidden `HIDDEN`), so the fixture stays small.
  The AdaIN hidden width stays 128, as official.
- Sharing. The generic branch builds its MLPs as `[LinearLeakyReLU(...)] * 3` and its middle mask
  blocks as `[SPADEResBlk(...)] * (n - 2)`: one module repeated (its author's comment: "I don't
  know why there seems a bug"). The paper's four classes use the other branch, with independent
  modules; the harness replaces each repeated module by a deep copy so the fixture has independent
  weights, as every released `log/gan_*` model. The key names are the same in both branches.

Weights are seeded (biases and batch-norm running statistics too, which the official init leaves
0/1), inputs are seeded `input_noise0..2` [N, z_dim] and `bg_trans` [N,1,2] in [-1, 1).

Fixtures (JSON index {name: {shape, offset}} + float32 .bin, NCHW as PyTorch):
- `test/fixtures/ganseg/linear`: `use_linear=1` (all released presets), `single_final=0`,
  sizes 8,8,16 (a same-size step and an ×2 step), channels 16,12,8, n_embedding 8, K 3, n_per 4.
- `test/fixtures/ganseg/gauss`: `use_linear=0` (the Gaussian heatmap with the unbiased-variance τ),
  `single_final=1`, sizes 8,16, channels 12,8, n_embedding 8, K 2, n_per 3.
Also `released-keys.json`: key → shape of the official generator built from each released
`log/gan_<name>/parameters.json` (no weights), for the presets' state dicts.
Each fixture: `sd.*` the state dict; `in.*` the inputs; `eval.*` outputs of `generator.eval()`;
`train.*` outputs of `generator.train()` on the same inputs (batch statistics,
`requires_penalty=True`), then `after.*` the running statistics that forward left;
`heat.*` the heatmap functions alone (`gen_heatmaps_*_extend`) on the eval keypoints.

Run: /usr/bin/python3 tools/parity/ganseg.py [path to the fetched repo's git dir]
"""
import copy
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
REPO = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/xingzhehe+GANSeg/repo'
TMP = '/tmp/ganseg-ref'
HIDDEN = 16

sys.path.insert(0, HERE)
from stylegan2 import write  # noqa: E402  (the JSON-index + .bin fixture writer)


def official():
    os.makedirs(TMP, exist_ok=True)
    tar = subprocess.run(['git', '--git-dir', REPO, 'archive', 'HEAD', 'models'], check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', TMP], input=tar, check=True)
    sys.path.insert(0, TMP)
    import models.generator as gen
    import models.heatmaps as heat
    return gen, heat


G, H = official()


def train_gan_function(name):
    """A top-level function of the official train_gan.py, exec'd alone (the script parses argv and loads data on import)."""
    import ast
    src = subprocess.run(['git', '--git-dir', REPO, 'show', 'HEAD:train_gan.py'], check=True, capture_output=True, text=True).stdout
    node = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == name)
    scope = {'torch': torch}
    exec(compile(ast.Module(body=[node], type_ignores=[]), 'train_gan.py', 'exec'), scope)
    return scope[name]


def disc_fixture(seed=3):
    """The official Discriminator at a tiny size (16² → 2² in three blocks of 4, 8, 8 channels, fc 32 → 16 → 1),
    seeded random weights and biases; its logits, train_gan.py's D loss (softplus + gradient_penalty, weight 10) on
    fixed reals/fakes, and its gradients w.r.t. two weights (the penalty's second-order path)."""
    import models.discriminator as dm
    torch.set_grad_enabled(True)
    gen = torch.Generator().manual_seed(seed)
    d = dm.Discriminator({})
    d.conv = torch.nn.Sequential(dm.DiscriminatorBlock(3, 4), dm.DiscriminatorBlock(4, 8), dm.DiscriminatorBlock(8, 8))
    d.fc = torch.nn.Sequential(torch.nn.Linear(2 * 2 * 8, 16), torch.nn.LeakyReLU(0.2, inplace=True), torch.nn.Linear(16, 1))
    with torch.no_grad():
        for name, p in d.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            p.copy_(0.1 * r if name.endswith('bias') else r * (2 / (1 + 0.2 ** 2)) ** 0.5 / p[0].numel() ** 0.5)
    out = {f'sd.{k}': v.detach().clone() for k, v in d.state_dict().items()}
    real = torch.tanh(torch.randn(3, 3, 16, 16, generator=gen))
    fake = torch.tanh(torch.randn(3, 3, 16, 16, generator=gen))
    out['in.real'], out['in.fake'] = real, fake
    gradient_penalty = train_gan_function('gradient_penalty')
    real = real.clone().requires_grad_()
    d_real_out = d({'img': real})
    d_fake_out = d({'img': fake})
    plain = torch.nn.functional.softplus(d_fake_out).mean() + torch.nn.functional.softplus(-d_real_out).mean()
    gp = gradient_penalty(real, d_real_out)
    disc_loss = plain + gp
    grads = torch.autograd.grad(disc_loss, [d.conv[0].net[0].weight, d.fc[2].weight])
    out['out.real'], out['out.fake'] = d_real_out.detach(), d_fake_out.detach()
    out['loss.plain'], out['loss.gp'], out['loss.disc'] = plain.detach().reshape(1), gp.detach().reshape(1), disc_loss.detach().reshape(1)
    out['grad.conv.0.net.0.weight'], out['grad.fc.2.weight'] = grads[0], grads[1]
    gen_loss = torch.nn.functional.softplus(-d_fake_out).mean()
    out['loss.gen'] = gen_loss.detach().reshape(1)
    print('disc logits', d_real_out.tolist(), d_fake_out.tolist(), 'loss', float(plain), float(gp), float(gen_loss))
    torch.set_grad_enabled(False)
    return out


def write_disc():
    write(os.path.join(ROOT, 'test', 'fixtures', 'ganseg', 'disc'), disc_fixture())


def unshare(container):
    seen, mods = set(), []
    for m in container:
        mods.append(copy.deepcopy(m) if id(m) in seen else m)
        seen.add(id(m))
    return torch.nn.Sequential(*mods) if isinstance(container, torch.nn.Sequential) else torch.nn.ModuleList(mods)


def build(hp):
    g = G.Generator(dict(hp, class_name='tiny'))
    for name in ['gen_keypoints_embedding_noise', 'gen_keypoints_layer', 'gen_background_embedding',
                 'mask_spade_blocks', 'spade_blocks', 'adain_blocks']:
        setattr(g, name, unshare(getattr(g, name)))
    for m in g.modules():
        if isinstance(m, G.SPADE):
            c = m.conv_gamma.out_channels
            m.conv = torch.nn.Conv2d(m.conv.in_channels, HIDDEN, kernel_size=3, padding=1)
            m.conv_gamma = torch.nn.Conv2d(HIDDEN, c, kernel_size=3, padding=1)
            m.conv_beta = torch.nn.Conv2d(HIDDEN, c, kernel_size=3, padding=1)
    return g


def randomize(g, gen):
    last = f'mask_spade_blocks.{len(g.mask_spade_blocks) - 1}.conv'
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name == 'init_extend_coord':
                continue
            r = torch.randn(p.shape, generator=gen)
            if name.endswith('bias'):
                p.copy_(0.1 * r)
            elif name == 'keypoints_embedding.weight':
                p.copy_(r)
            else:
                fan_in = p[0].numel()
                # the point MLP's last layer is scaled up so the points spread over tanh's range
                # (after the official ÷20) and the heatmaps are not empty on the tiny grid
                # the image convs and the last mask block are scaled down so tanh and softmax do not saturate
                s = 12.0 if name.startswith('gen_keypoints_layer.4') else 0.25 if name.startswith(('conv.', last)) else 1.0
                p.copy_(s * r * (2 / (1 + 0.2 ** 2)) ** 0.5 / fan_in ** 0.5)
        for name, b in g.named_buffers():
            if name.endswith('running_mean'):
                b.copy_(0.2 * torch.randn(b.shape, generator=gen))
            elif name.endswith('running_var'):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))
            elif name.endswith('num_batches_tracked'):
                b.fill_(7)


OUTS = ['points', 'keypoints', 'kp_emb', 'mask', 'init_mask', 'fg', 'bg', 'img']


def fixture(hp, n, seed):
    g = build(hp)
    gen = torch.Generator().manual_seed(seed)
    randomize(g, gen)
    out = {f'sd.{k}': v.float().clone() for k, v in g.state_dict().items()}  # copies: train() updates the buffers in place
    inp = {f'input_noise{i}': torch.randn(n, hp['z_dim'], generator=gen) for i in range(3)}
    inp['bg_trans'] = torch.rand(n, 1, 2, generator=gen) * 2 - 1
    out.update({f'in.{k}': v for k, v in inp.items()})
    with torch.no_grad():
        g.eval()
        e = g(dict(inp))
        out.update({f'eval.{k}': e[k] for k in OUTS})
        g.train()
        t = g(dict(inp), requires_penalty=True)
        out.update({f'train.{k}': t[k] for k in OUTS + ['center_penalty', 'area_penalty']})
        out.update({f'after.{k}': v.float() for k, v in g.state_dict().items() if 'norm.' in k})
        sizes = [int(s) for s in hp['feature_map_sizes'].split(',')]
        kp = e['keypoints']
        pts = e['points'].reshape(n, hp['n_keypoints'], hp['n_per_kp'], 2)
        d = pts - kp.reshape(n, hp['n_keypoints'], 1, 2)
        tau_lin = (d.abs().mean(dim=(2, 3)) + 1e-6).reshape(n, -1, 1)
        tau_gau = d.norm(dim=-1).var(dim=-1, keepdim=True) + 1e-6
        out['heat.tau_linear'] = tau_lin
        out['heat.tau_gauss'] = tau_gau
        out['heat.linear'] = H.gen_heatmaps_linear_extend(kp, sizes[0], tau=tau_lin, extend=10)
        out['heat.gauss'] = H.gen_heatmaps_extend(kp, sizes[0], tau=tau_gau, extend=10)
    m = e['mask']
    print(hp['feature_map_sizes'], 'mask range', float(m.min()), float(m.max()), 'bg mean', float(m[:, -1].mean()),
          'heat.linear max', float(out['heat.linear'].max()), 'img std', float(e['img'].std()),
          'train-eval img', float((t['img'] - e['img']).abs().max()),
          'penalties', float(t['center_penalty']), float(t['area_penalty']))
    return out


BASE = dict(z_dim=16, n_embedding=8, smaller_init_mask=0, image_size=16)

def released_keys():
    """Key → shape of the official generator for each released `log/gan_<name>/parameters.json`
    (the hard-coded branch of the paper's classes), to check our presets' state dicts."""
    out = {}
    for name in ['gan_celeba_wild_k8', 'gan_cub_k8', 'gan_flower_k8', 'gan_taichi_k10']:
        src = subprocess.run(['git', '--git-dir', REPO, 'show', f'HEAD:log/{name}/parameters.json'], check=True,
                             capture_output=True, text=True).stdout
        a = json.loads(src)
        keys = ['z_dim', 'n_keypoints', 'n_per_kp', 'n_embedding', 'image_size', 'single_final', 'use_linear',
                'smaller_init_mask', 'feature_map_sizes', 'feature_map_channels', 'class_name']
        g = G.Generator({k: a[k] for k in keys})
        out[name] = {k: list(v.shape) for k, v in g.state_dict().items()}
    return out


if __name__ == '__main__':
    dest = os.path.join(ROOT, 'test', 'fixtures', 'ganseg')
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, 'released-keys.json'), 'w') as f:
        json.dump(released_keys(), f, indent=0)
    torch.set_grad_enabled(False)
    write(os.path.join(dest, 'linear'), fixture(dict(BASE, n_keypoints=3, n_per_kp=4, use_linear=1, single_final=0,
                                                     feature_map_sizes='8,8,16', feature_map_channels='16,12,8'), 3, 1))
    write(os.path.join(dest, 'gauss'), fixture(dict(BASE, n_keypoints=2, n_per_kp=3, use_linear=0, single_final=1,
                                                    feature_map_sizes='8,16', feature_map_channels='12,8'), 2, 2))
    write_disc()

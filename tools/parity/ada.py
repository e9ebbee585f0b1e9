#!/usr/bin/env python3
"""Reference fixtures for gan-segmenter's ADA pipeline (src/train/ada.ts), made by the *official*
NVlabs/stylegan2-ada-pytorch `training/augment.py` (`AugmentPipe`), not by a re-statement.

The official files (`training/augment.py`, `torch_utils/`, `dnnlib/`) are extracted from a fetched
copy of the repository into /tmp; nothing of them is copied into our tree. On CPU its custom ops
take their pure-PyTorch paths (`upfirdn2d` ref, `torch.nn.functional.grid_sample`).

The random draws of PyTorch and ours differ, so the fixture pins the pipeline through the
reference's own `debug_percentile` (every enabled augmentation at that percentile's value):
for each single augmentation of `bgc`, and for the whole `bgc` pipeline, at percentiles 0.2 and
0.85, on a seeded batch x [2,3,16,12] (non-square, to catch swapped axes), the output and the
gradient of sum(out·w) w.r.t. x for a seeded w.

Fixture `test/fixtures/ada/debug` (JSON index {name: {shape, offset}} + float32 .bin, NCHW):
`x`, `w`, `<aug>.<pct>.out`, `<aug>.<pct>.grad`.

Run: /usr/bin/python3 tools/parity/ada.py [path to the fetched repo's git dir]
"""
import io
import os
import subprocess
import sys
import tarfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
REPO = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo'
TMP = '/tmp/ada-ref'

sys.path.insert(0, HERE)
import stylegan2 as ours  # noqa: E402  (only its fixture writer)

AUGS = ['xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac', 'brightness', 'contrast', 'lumaflip', 'hue', 'saturation']


def official():
    os.makedirs(TMP, exist_ok=True)
    tar = subprocess.run(['git', '--git-dir', REPO, 'archive', 'HEAD', 'training/augment.py', 'torch_utils', 'dnnlib'],
                         check=True, capture_output=True).stdout
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(TMP)
    sys.path.insert(0, TMP)
    from torch_utils.ops import upfirdn2d
    upfirdn2d._init = lambda: False
    from training import augment
    return augment


def main():
    augment = official()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand([2, 3, 16, 12], generator=gen) * 2 - 1
    w = torch.randn([2, 3, 16, 12], generator=gen)
    out = {'x': x, 'w': w}
    for name in AUGS + ['bgc']:
        kwargs = {a: 1 for a in AUGS} if name == 'bgc' else {name: 1}
        pipe = augment.AugmentPipe(**kwargs)
        for pct in (0.2, 0.85):
            xi = x.clone().requires_grad_(True)
            y = pipe(xi, debug_percentile=pct)
            (y * w).sum().backward()
            out[f'{name}.{pct}.out'] = y.detach()
            out[f'{name}.{pct}.grad'] = xi.grad.detach()
    os.makedirs(os.path.join(ROOT, 'test/fixtures/ada'), exist_ok=True)
    ours.write(os.path.join(ROOT, 'test/fixtures/ada/debug'), out)


if __name__ == '__main__':
    main()

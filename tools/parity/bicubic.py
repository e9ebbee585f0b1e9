"""Reference numbers for test/nn/resize-bicubic.test.ts: PyTorch's
F.interpolate(x, size, mode='bicubic', align_corners=...) forward and the gradient
of sum(y * g) w.r.t. x, on small seeded inputs. Up-, down- and mixed resampling,
out = 1 and in = 1 sizes, both align_corners settings. Tensors are stored NHWC,
flattened, in test/fixtures/nn/bicubic.json.
Run: /usr/bin/python3 tools/parity/bicubic.py
"""
import json
import os

import torch
import torch.nn.functional as F

# name: (input NHWC shape, output [h, w])
CASES = {
    'up_1x4x4x2_to_7x9': ([1, 4, 4, 2], [7, 9]),
    'mixed_2x3x5x1_to_8x4': ([2, 3, 5, 1], [8, 4]),
    'down_1x9x7x3_to_4x3': ([1, 9, 7, 3], [4, 3]),
    'up4x_1x4x4x2_to_16x16': ([1, 4, 4, 2], [16, 16]),
    'out1_1x5x6x2_to_1x1': ([1, 5, 6, 2], [1, 1]),
    'in1_1x1x4x1_to_3x6': ([1, 1, 4, 1], [3, 6]),
    'same_1x4x5x2_to_4x5': ([1, 4, 5, 2], [4, 5]),
}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(16)
    out = {'torch': torch.__version__, 'cases': []}
    for name, (shape, size) in CASES.items():
        n, h, w, c = shape
        x_nhwc = torch.randn(n, h, w, c)
        for align in (True, False):
            x = x_nhwc.permute(0, 3, 1, 2).contiguous().requires_grad_(True)  # NCHW
            y = F.interpolate(x, size=tuple(size), mode='bicubic', align_corners=align)
            g = torch.randn_like(y)
            (y * g).sum().backward()
            out['cases'].append({
                'name': f'{name}_align{str(align).lower()}',
                'size': size,
                'alignCorners': align,
                'xShape': shape,
                'yShape': [n, size[0], size[1], c],
                'x': flat(x_nhwc),
                'y': flat(y.permute(0, 2, 3, 1)),
                'g': flat(g.permute(0, 2, 3, 1)),
                'dx': flat(x.grad.permute(0, 2, 3, 1)),
            })
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'nn', 'bicubic.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.normpath(path)}: {len(out["cases"])} cases')


if __name__ == '__main__':
    main()

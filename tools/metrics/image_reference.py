"""Reference values for src/io/image.ts resizing and JPEG decoding (torch + PIL).

Run: /usr/bin/python3 tools/metrics/image_reference.py > test/fixtures/data/image-reference.json
"""
import json
import os
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

rng = np.random.default_rng(7)
x = rng.uniform(size=(7, 9, 2)).astype(np.float32)        # H=7, W=9, C=2
t = torch.from_numpy(x).permute(2, 0, 1)[None]
out = {'input': {'h': 7, 'w': 9, 'c': 2, 'data': [float(v) for v in x.ravel()]}}
for (h, w) in [(4, 5), (12, 15), (7, 4)]:
    b = F.interpolate(t, size=(h, w), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
    n = F.interpolate(t, size=(h, w), mode='nearest')[0].permute(1, 2, 0).numpy()
    out[f'bilinear_{h}x{w}'] = [float(v) for v in b.ravel()]
    out[f'nearest_{h}x{w}'] = [float(v) for v in n.ravel()]
y = rng.uniform(size=(8, 12, 1)).astype(np.float32)
ty = torch.from_numpy(y).permute(2, 0, 1)[None]
out['input_area'] = {'h': 8, 'w': 12, 'c': 1, 'data': [float(v) for v in y.ravel()]}
out['area_4x3'] = [float(v) for v in F.interpolate(ty, size=(4, 3), mode='area')[0].permute(1, 2, 0).numpy().ravel()]
im = np.asarray(Image.open(os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'weizmann-horse', 'images', 'horse001.jpg')).convert('RGB')).astype(np.float64) / 255
out['horse001'] = {'h': im.shape[0], 'w': im.shape[1], 'mean': [float(v) for v in im.mean(axis=(0, 1))], 'pixel_10_20': [float(v) for v in im[10, 20]]}
print(json.dumps(out))

"""Reference numbers for test/nn/{conv,norm}.test.ts: plain PyTorch layers on small
random inputs. Writes test/fixtures/unet/layers.safetensors.
Run: /usr/bin/python3 tools/parity/unet_layers.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from unet_safetensors import write_safetensors  # noqa: E402


def main():
    torch.manual_seed(3)
    t = {}
    x8 = torch.randn(2, 3, 8, 8)
    t['x8'] = x8
    for name, (k, s, p) in {'k3s2p1': (3, 2, 1), 'k5s1p1': (5, 1, 1), 'k3s1p1': (3, 1, 1), 'k4s2p1': (4, 2, 1), 'k1s1p0': (1, 1, 0)}.items():
        w = torch.randn(5, 3, k, k)
        b = torch.randn(5)
        t[f'conv.{name}.weight'] = w
        t[f'conv.{name}.bias'] = b
        t[f'conv.{name}.out'] = F.conv2d(x8, w, b, stride=s, padding=p)
    x4 = torch.randn(2, 6, 4, 3)
    t['x4'] = x4
    for name, (k, s, p) in {'k4s2p1': (4, 2, 1), 'k2s2p0': (2, 2, 0), 'k3s2p0': (3, 2, 0), 'k4s1p0': (4, 1, 0)}.items():
        w = torch.randn(6, 4, k, k)
        b = torch.randn(4)
        t[f'convT.{name}.weight'] = w
        t[f'convT.{name}.bias'] = b
        t[f'convT.{name}.out'] = F.conv_transpose2d(x4, w, b, stride=s, padding=p)
    xl = torch.randn(3, 7)
    wl, bl = torch.randn(5, 7), torch.randn(5)
    t.update({'linear.x': xl, 'linear.weight': wl, 'linear.bias': bl, 'linear.out': F.linear(xl, wl, bl)})
    bn = torch.nn.BatchNorm2d(3)
    bn.weight.data = torch.randn(3)
    bn.bias.data = torch.randn(3)
    bn.running_mean.data = torch.randn(3)
    bn.running_var.data = torch.rand(3) + 0.5
    t.update({f'bn.{k}': v.clone() for k, v in bn.state_dict().items()})
    xb = 2 * torch.randn(4, 3, 5, 5) + 1
    t['bn.x'] = xb
    bn.eval()
    t['bn.eval_out'] = bn(xb).detach()
    bn.train()
    t['bn.train_out'] = bn(xb).detach()
    t['bn.after.running_mean'] = bn.running_mean.clone()
    t['bn.after.running_var'] = bn.running_var.clone()
    out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'unet', 'layers.safetensors')
    write_safetensors(out, {k: v.numpy() for k, v in t.items()}, {'writer': 'tools/parity/unet_layers.py'})
    print(out, os.path.getsize(out))


if __name__ == '__main__':
    main()

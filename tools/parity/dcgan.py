"""Reference fixture for src/models/dcgan: PyTorch's DCGAN tutorial networks
(generalised to any resolution 16–128), random DCGAN-initialised weights,
non-trivial batch-norm statistics.

Writes test/fixtures/dcgan/dcgan-32.safetensors holding
  g.<key> / d.<key>     state dicts (PyTorch layouts; tutorial `main.<i>` names)
  io.z [N,nz], io.g_eval / io.g_train (NCHW images), io.d_eval (logits [N]) on io.g_eval
Run: /usr/bin/python3 tools/parity/dcgan.py
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from unet_safetensors import torch_state, write_safetensors  # noqa: E402


def generator(res, nz, ngf, nc):
    n = int(round(math.log2(res / 4)))
    ch = ngf * 2 ** (n - 1)
    layers = [nn.ConvTranspose2d(nz, ch, 4, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
    for _ in range(1, n):
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Module()
    g.main = nn.Sequential(*layers)
    return g


def discriminator(res, ndf, nc, bn):
    n = int(round(math.log2(res / 4)))
    layers = []
    cin = nc
    for i in range(n):
        out = ndf * 2 ** i
        layers.append(nn.Conv2d(cin, out, 4, 2, 1, bias=not bn))
        if bn and i > 0:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        cin = out
    layers.append(nn.Conv2d(cin, 1, 4, 1, 0, bias=False))
    d = nn.Module()
    d.main = nn.Sequential(*layers)
    return d


def main():
    torch.manual_seed(7)
    cfg = {'resolution': 32, 'latentDim': 16, 'width': 8, 'dWidth': 8, 'channels': 3, 'dBatchNorm': True}
    g = generator(32, 16, 8, 3)
    d = discriminator(32, 8, 3, True)
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.1)
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, 0.1)
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            nn.init.normal_(m.weight, 1.0, 0.2)
            nn.init.normal_(m.bias, 0.0, 0.2)
            m.running_mean.data = 0.3 * torch.randn(c)
            m.running_var.data = 0.5 + torch.rand(c)
            m.num_batches_tracked.fill_(3)
    tensors = {f'g.{k}': v for k, v in torch_state(g).items()}
    tensors.update({f'd.{k}': v for k, v in torch_state(d).items()})
    z = torch.randn(4, 16)
    g.eval(); d.eval()
    with torch.no_grad():
        x = g.main(z.view(4, 16, 1, 1))
        tensors['io.z'] = z.numpy()
        tensors['io.g_eval'] = x.numpy()
        tensors['io.d_eval'] = d.main(x).view(4).numpy()
        g.train()
        tensors['io.g_train'] = g.main(z.view(4, 16, 1, 1)).numpy()
    out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'dcgan', 'dcgan-32.safetensors')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    write_safetensors(out, tensors, {'config': json.dumps(cfg), 'model': 'dcgan', 'writer': 'tools/parity/dcgan.py'})
    print(out, os.path.getsize(out), 'bytes')


if __name__ == '__main__':
    main()


def write_torch_fixture():
    """A tiny PyTorch-tutorial generator saved with torch.save (zip format), for `sample --format torch`."""
    torch.manual_seed(11)
    g = generator(16, 4, 2, 3)
    out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'dcgan', 'dcgan-16-tiny.pt')
    torch.save(g.state_dict(), out)
    g.eval()
    z = torch.randn(2, 4)
    with torch.no_grad():
        x = g.main(z.view(2, 4, 1, 1))
    write_safetensors(out.replace('.pt', '-io.safetensors'), {'z': z.numpy(), 'images': x.numpy()},
                      {'config': json.dumps({'resolution': 16, 'latentDim': 4, 'width': 2, 'dWidth': 2, 'channels': 3, 'dBatchNorm': False})})
    print(out, os.path.getsize(out), 'bytes')


if __name__ == '__main__':
    write_torch_fixture()

"""Reference fixtures for src/models/unet: milesial/Pytorch-UNet's UNet re-stated in
plain PyTorch (generalised to width/depth), random weights (fixed seed), batch norm
with non-trivial running statistics.

Writes test/fixtures/unet/unet-{transposed,bilinear}.safetensors holding
  state.<milesial key>            the model's state dict (PyTorch layouts)
  io.input_<H>x<W> / io.output_<H>x<W>   NCHW input and eval-mode logits
  train.output                    train-mode logits for io.input_32x32
  train.after.<bn key>            running stats after that train-mode forward
  train.grad.<key>                d/dparam of sum(train.output * train.weights)
  train.weights                   the random loss weights
Run: /usr/bin/python3 tools/parity/unet.py
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from unet_safetensors import torch_state, write_safetensors  # noqa: E402


class DoubleConv(nn.Module):
    def __init__(self, cin, cout, mid=None):
        super().__init__()
        mid = mid or cout
        self.double_conv = nn.Sequential(
            nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(cin, cout))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, cin, cout, bilinear):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
            self.conv = DoubleConv(cin, cout, cin // 2)
        else:
            self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(cin, cout)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        dy = x2.size(2) - x1.size(2)
        dx = x2.size(3) - x1.size(3)
        x1 = F.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([x2, x1], dim=1))


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, width, depth, bilinear):
        super().__init__()
        f = 2 if bilinear else 1
        ch = [width * 2 ** i for i in range(depth + 1)]
        self.depth = depth
        self.inc = DoubleConv(n_channels, ch[0])
        for i in range(1, depth + 1):
            setattr(self, f'down{i}', Down(ch[i - 1], ch[i] // f if i == depth else ch[i]))
        for j in range(1, depth + 1):
            lvl = depth - j
            setattr(self, f'up{j}', Up(ch[lvl + 1], ch[0] if j == depth else ch[lvl] // f, bilinear))
        self.outc = nn.Module()
        self.outc.conv = nn.Conv2d(ch[0], n_classes, kernel_size=1)

    def forward(self, x):
        xs = [self.inc(x)]
        for i in range(1, self.depth + 1):
            xs.append(getattr(self, f'down{i}')(xs[-1]))
        h = xs[-1]
        for j in range(1, self.depth + 1):
            h = getattr(self, f'up{j}')(h, xs[self.depth - j])
        return self.outc.conv(h)


def randomize_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 1 + 0.2 * torch.randn(c, generator=g)
            m.bias.data = 0.2 * torch.randn(c, generator=g)
            m.running_mean.data = 0.3 * torch.randn(c, generator=g)
            m.running_var.data = 0.5 + torch.rand(c, generator=g)
            m.num_batches_tracked.fill_(7)


def main():
    out_dir = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'unet')
    os.makedirs(out_dir, exist_ok=True)
    for variant, bilinear in (('transposed', False), ('bilinear', True)):
        g = torch.Generator().manual_seed(1234 if bilinear else 4322)
        torch.manual_seed(99)
        cfg = {'inChannels': 3, 'nClasses': 2, 'width': 4, 'depth': 4, 'bilinear': bilinear}
        model = UNet(3, 2, cfg['width'], cfg['depth'], bilinear)
        randomize_bn(model, g)
        tensors = {f'state.{k}': v for k, v in torch_state(model).items()}
        model.eval()
        inputs = {}
        with torch.no_grad():
            for (h, w, n) in ((32, 32, 2), (48, 40, 1)):
                x = torch.randn(n, 3, h, w, generator=g)
                inputs[(h, w)] = x
                tensors[f'io.input_{h}x{w}'] = x.numpy()
                tensors[f'io.output_{h}x{w}'] = model(x).numpy()
        # train mode: batch statistics, running-stat update, gradients
        model.train()
        x = inputs[(32, 32)]
        y = model(x)
        wts = torch.randn(y.shape, generator=g)
        (y * wts).sum().backward()
        tensors['train.output'] = y.detach().numpy()
        tensors['train.weights'] = wts.numpy()
        sd = model.state_dict()
        for k in ('inc.double_conv.1.running_mean', 'inc.double_conv.1.running_var', 'up1.conv.double_conv.4.running_var'):
            tensors[f'train.after.{k}'] = sd[k].numpy()
        params = dict(model.named_parameters())
        for k in ('inc.double_conv.0.weight', 'down4.maxpool_conv.1.double_conv.3.weight', 'outc.conv.weight', 'outc.conv.bias',
                  'inc.double_conv.1.weight') + (() if bilinear else ('up1.up.weight',)):
            tensors[f'train.grad.{k}'] = params[k].grad.numpy()
        path = os.path.join(out_dir, f'unet-{variant}.safetensors')
        write_safetensors(path, tensors, {'config': json.dumps(cfg), 'writer': 'tools/parity/unet.py'})
        print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()

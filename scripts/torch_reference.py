"""PyTorch twins of gan_jax's conv networks, for the speed benchmark only.

Not part of the package and not a dependency: `experiments.benchmark
--compare_torch` runs this file with a Python that has torch. It builds the
networks of gan_jax.models.conv (DCGAN) or gan_jax.models.resnet (CycleGAN's
ResNet G and PatchGAN D) at the given sizes, times one training iteration
(one D step, one G step, Adam, as the trainer's step), and prints
'params_g N params_d N ms/iteration X' (best of 3 repeats).

  python scripts/torch_reference.py dcgan --size 64 --channels 3 --base 64
  python scripts/torch_reference.py cyclegan --size 8 --channels_a 1 \
      --channels_b 3 --base 16 --downsamplings 1 --res_blocks 2 --d_layers 1

Differences that do not change the work: CycleGAN's image pool is left out
(fakes go to D directly; the pool is a gather), and transposed convolutions
use PyTorch's own padding (same output size as flax's 'SAME').
"""
import argparse
import time

import torch
from torch import nn
import torch.nn.functional as F


def num_upsamplings(size):
  count = 0
  while size % 2 == 0 and size > 4:
    size //= 2
    count += 1
  return count


class ChannelLayerNorm(nn.Module):
  """flax nn.LayerNorm() on NHWC: over channels, per pixel."""

  def __init__(self, channels):
    super().__init__()
    self.norm = nn.LayerNorm(channels)

  def forward(self, x):
    return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class DCGANGenerator(nn.Module):

  def __init__(self, size, channels, base, latent):
    super().__init__()
    ups = num_upsamplings(size)
    self.start = size // 2**ups
    self.features = base * 2**max(ups - 1, 0)
    self.fc = nn.Linear(latent, self.start**2 * self.features)
    self.norm = ChannelLayerNorm(self.features)
    layers, features = [], self.features
    for i in range(ups):
      out = base * 2**max(ups - 2 - i, 0)
      layers += [nn.ConvTranspose2d(features, out, 4, 2, 1),
                 ChannelLayerNorm(out), nn.ReLU()]
      features = out
    self.ups = nn.Sequential(*layers)
    self.out = nn.Conv2d(features, channels, 3, 1, 1)

  def forward(self, z):
    h = self.fc(z).view(-1, self.features, self.start, self.start)
    return torch.tanh(self.out(self.ups(F.relu(self.norm(h)))))


class DCGANDiscriminator(nn.Module):

  def __init__(self, size, channels, base, dropout):
    super().__init__()
    layers, features = [], channels
    for i in range(max(num_upsamplings(size), 1)):
      layers += [nn.Conv2d(features, base * 2**i, 4, 2, 1),
                 nn.LeakyReLU(0.2), nn.Dropout(dropout)]
      features = base * 2**i
      size = (size + 1) // 2
    self.trunk = nn.Sequential(*layers)
    self.fc = nn.Linear(features * size * size, 1)

  def forward(self, x):
    return self.fc(self.trunk(x).flatten(1))[:, 0]


def instance_norm(channels):
  return nn.InstanceNorm2d(channels, affine=False)


class ResidualBlock(nn.Module):

  def __init__(self, features):
    super().__init__()
    self.body = nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(features, features, 3),
        instance_norm(features), nn.ReLU(),
        nn.ReflectionPad2d(1), nn.Conv2d(features, features, 3),
        instance_norm(features))

  def forward(self, x):
    return x + self.body(x)


def resnet_generator(c_in, c_out, base, downsamplings, res_blocks):
  layers = [nn.ReflectionPad2d(3), nn.Conv2d(c_in, base, 7),
            instance_norm(base), nn.ReLU()]
  features = base
  for _ in range(downsamplings):
    layers += [nn.Conv2d(features, 2 * features, 3, 2, 1),
               instance_norm(2 * features), nn.ReLU()]
    features *= 2
  layers += [ResidualBlock(features) for _ in range(res_blocks)]
  for _ in range(downsamplings):
    layers += [nn.ConvTranspose2d(features, features // 2, 3, 2, 1, 1),
               instance_norm(features // 2), nn.ReLU()]
    features //= 2
  layers += [nn.ReflectionPad2d(3), nn.Conv2d(features, c_out, 7), nn.Tanh()]
  return nn.Sequential(*layers)


def patch_discriminator(channels, base, num_layers):
  layers = [nn.Conv2d(channels, base, 4, 2, 1), nn.LeakyReLU(0.2)]
  features = base
  for _ in range(1, num_layers):
    out = min(features * 2, base * 8)
    layers += [nn.Conv2d(features, out, 4, 2, 1), instance_norm(out),
               nn.LeakyReLU(0.2)]
    features = out
  out = min(features * 2, base * 8)
  layers += [nn.Conv2d(features, out, 4, 1, 1), instance_norm(out),
             nn.LeakyReLU(0.2), nn.Conv2d(out, 1, 4, 1, 1)]
  return nn.Sequential(*layers)


def count(*modules):
  return sum(p.numel() for m in modules for p in m.parameters())


def dcgan_step(a):
  g = DCGANGenerator(a.size, a.channels, a.base, a.latent)
  d = DCGANDiscriminator(a.size, a.channels, a.base, a.dropout)
  real = torch.rand(a.batch * 10, a.channels, a.size, a.size) * 2 - 1
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  bce = nn.BCEWithLogitsLoss()
  ones, zeros = torch.ones(a.batch), torch.zeros(a.batch)

  def step(i):
    x = real[(i % 10) * a.batch:(i % 10 + 1) * a.batch]
    opt_d.zero_grad()
    fake = g(torch.randn(a.batch, a.latent))
    loss = bce(d(x), ones) + bce(d(fake.detach()), zeros)
    loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss = bce(d(g(torch.randn(a.batch, a.latent))), ones)
    loss.backward()
    opt_g.step()

  return step, count(g), count(d)


def cyclegan_step(a):
  g_ab = resnet_generator(a.channels_a, a.channels_b, a.base, a.downsamplings,
                          a.res_blocks)
  g_ba = resnet_generator(a.channels_b, a.channels_a, a.base, a.downsamplings,
                          a.res_blocks)
  d_a = patch_discriminator(a.channels_a, a.base, a.d_layers)
  d_b = patch_discriminator(a.channels_b, a.base, a.d_layers)
  real_a = torch.rand(a.batch * 10, a.channels_a, a.size, a.size) * 2 - 1
  real_b = torch.rand(a.batch * 10, a.channels_b, a.size, a.size) * 2 - 1
  opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], 2e-4,
                           betas=(0.5, 0.999))
  opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], 2e-4,
                           betas=(0.5, 0.999))
  mse = lambda x, target: torch.mean((x - target)**2)

  def step(i):
    rows = slice((i % 10) * a.batch, (i % 10 + 1) * a.batch)
    x_a, x_b = real_a[rows], real_b[rows]
    opt_d.zero_grad()
    with torch.no_grad():
      fake_b, fake_a = g_ab(x_a), g_ba(x_b)
    loss = 0.5 * (mse(d_a(x_a), 1) + mse(d_a(fake_a), 0)
                  + mse(d_b(x_b), 1) + mse(d_b(fake_b), 0))
    loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    fake_b, fake_a = g_ab(x_a), g_ba(x_b)
    loss = (mse(d_b(fake_b), 1) + mse(d_a(fake_a), 1)
            + 10 * (F.l1_loss(g_ba(fake_b), x_a) + F.l1_loss(g_ab(fake_a), x_b)))
    if a.channels_a == a.channels_b:  # gan_jax's identity term needs this.
      loss = loss + 5 * (F.l1_loss(g_ab(x_b), x_b) + F.l1_loss(g_ba(x_a), x_a))
    loss.backward()
    opt_g.step()

  return step, count(g_ab, g_ba), count(d_a, d_b)


def main():
  p = argparse.ArgumentParser()
  p.add_argument('model', choices=('dcgan', 'cyclegan'))
  p.add_argument('--iters', type=int, default=20)
  p.add_argument('--batch', type=int, default=64)
  p.add_argument('--threads', type=int, default=0)
  p.add_argument('--size', type=int, default=28)
  p.add_argument('--base', type=int, default=64)
  p.add_argument('--channels', type=int, default=1)  # dcgan
  p.add_argument('--latent', type=int, default=100)
  p.add_argument('--dropout', type=float, default=0.3)
  p.add_argument('--channels_a', type=int, default=1)  # cyclegan
  p.add_argument('--channels_b', type=int, default=3)
  p.add_argument('--downsamplings', type=int, default=2)
  p.add_argument('--res_blocks', type=int, default=9)
  p.add_argument('--d_layers', type=int, default=3)
  a = p.parse_args()
  if a.threads:
    torch.set_num_threads(a.threads)
  if a.model == 'dcgan':
    step, params_g, params_d = dcgan_step(a)
  else:
    step, params_g, params_d = cyclegan_step(a)
  for i in range(3):
    step(i)
  best = float('inf')
  for _ in range(3):
    start = time.perf_counter()
    for i in range(a.iters):
      step(i)
    best = min(best, (time.perf_counter() - start) / a.iters)
  print(f'torch {torch.__version__} threads {torch.get_num_threads()} '
        f'params_g {params_g} params_d {params_d} '
        f'ms/iteration {best * 1e3:.2f}')


if __name__ == '__main__':
  main()

"""Model FLOPs counted from a function's jaxpr: 2 per multiply-add of every
matmul (dot_general) and convolution, the work that dominates a GAN step.

Elementwise ops are not counted: the figure is comparable with a matmul's
peak rate. Loops are followed: a `scan` body counts `length` times.
"""
import math

import jax
from jax.extend import core


def _dot_flops(eqn):
  lhs, rhs = (v.aval.shape for v in eqn.invars[:2])
  (lhs_contract, rhs_contract), (lhs_batch, _) = eqn.params['dimension_numbers']
  contracted = math.prod(lhs[d] for d in lhs_contract)
  batch = math.prod(lhs[d] for d in lhs_batch)
  lhs_free = math.prod(s for d, s in enumerate(lhs)
                       if d not in lhs_contract and d not in lhs_batch)
  rhs_free = math.prod(s for d, s in enumerate(rhs)
                       if d not in rhs_contract and d not in lhs_batch
                       and d not in eqn.params['dimension_numbers'][1][1])
  return 2 * batch * lhs_free * rhs_free * contracted


def _conv_flops(eqn):
  out = eqn.outvars[0].aval.shape
  rhs = eqn.invars[1].aval.shape
  spec = eqn.params['dimension_numbers'].rhs_spec  # (out, in, spatial...)
  kernel_in = rhs[spec[1]]
  kernel_spatial = math.prod(rhs[d] for d in spec[2:])
  # Each output element is a dot over kernel_in * kernel_spatial inputs
  # (kernel_in is already per group), less the zeros a transposed conv's
  # dilated input puts under the kernel.
  dilation = math.prod(eqn.params['lhs_dilation'])
  return 2 * math.prod(out) * kernel_in * kernel_spatial // dilation


def _sub_jaxprs(eqn):
  for value in eqn.params.values():
    for item in (value if isinstance(value, (tuple, list)) else (value,)):
      if isinstance(item, core.ClosedJaxpr):
        yield item.jaxpr
      elif isinstance(item, core.Jaxpr):
        yield item


def jaxpr_flops(jaxpr):
  """Matmul and convolution FLOPs of one evaluation of `jaxpr`."""
  total = 0
  for eqn in jaxpr.eqns:
    name = eqn.primitive.name
    if name == 'dot_general':
      total += _dot_flops(eqn)
    elif name == 'conv_general_dilated':
      total += _conv_flops(eqn)
    elif name == 'cond':
      # One branch runs: count the most expensive.
      total += max(jaxpr_flops(b.jaxpr) for b in eqn.params['branches'])
    elif name == 'while':
      # Trip count unknown: one iteration of the body.
      total += jaxpr_flops(eqn.params['body_jaxpr'].jaxpr)
    else:
      sub = sum(jaxpr_flops(j) for j in _sub_jaxprs(eqn))
      if name == 'scan':
        sub *= eqn.params['length']
      total += sub
  return total


def count_flops(fn, *args, **kwargs):
  """Matmul/conv FLOPs of fn(*args, **kwargs), traced (not run)."""
  return jaxpr_flops(jax.make_jaxpr(fn)(*args, **kwargs).jaxpr)

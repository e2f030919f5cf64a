"""G's adversarial term (base.Objective.generator_adversarial): every
objective runs D over real data in G's step only for a pair that reads it,
on a stream of its own, so the other pairs' draws stay as they were."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import losses
from tests.conftest import tiny_config


def spy_pair(reads_real, seen):
  """non_saturating's D side; a G side that records what it is given."""
  def generator(*, real_logits, fake_logits):
    seen.append((real_logits, fake_logits))
    total = jnp.mean(fake_logits)
    return total if real_logits is None else total + jnp.mean(real_logits)
  return losses.GAN_LOSSES['non_saturating']._replace(
      generator=generator, generator_reads_real=reads_real)


def random_like(tree, seed):
  """Random values in the shapes of `tree`: no init programs to run."""
  rng = np.random.default_rng(seed)
  return jax.tree.map(
      lambda s: (0.3 * rng.standard_normal(s.shape)).astype(s.dtype), tree)


@pytest.mark.parametrize('name,num_ds', [
    ('cgan', 1), ('infogan', 1), ('cyclegan', 2)])
def test_real_logits_only_for_a_pair_that_reads_them(name, num_ds):
  run = build.build_run(tiny_config(name, batch_size=4), shapes_only=True)
  objective = run.objective
  d_params = random_like(run.state.d_params, 0)
  g_params = random_like(run.state.g_params, 1)
  batch = {k: jnp.asarray(v[:4]) for k, v in run.dataset.train.items()}
  seen = {}
  for reads_real in (False, True):
    seen[reads_real] = []
    objective.gan_loss = spy_pair(reads_real, seen[reads_real])
    objective.generator_loss(
        g_params, d_params, objective.init_extra(None), batch,
        jax.random.PRNGKey(0), 0, objective.hparams())
  assert len(seen[False]) == len(seen[True]) == num_ds  # One call per D.
  for (no_real, fake), (real, same_fake) in zip(seen[False], seen[True]):
    assert no_real is None
    assert real.shape == fake.shape and not np.allclose(real, fake)
    # Computing the real logits changed none of the step's other draws.
    np.testing.assert_array_equal(fake, same_fake)

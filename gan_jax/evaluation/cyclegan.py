"""How well a trained CycleGAN translates, on the held-out images.

- Label preservation: a small CNN digit classifier is trained on the real
  training images of each domain; the classifier of B labels G(a) and the
  classifier of A labels F(b), scored against the source images' labels.
  Translation that keeps the digit scores near the classifier's accuracy on
  real images; a generator that draws any plausible digit scores ~0.1.
- Cycle reconstruction error: mean |F(G(a)) - a| and |G(F(b)) - b| in [-1, 1]
  pixel units.
- Frechet distance per direction (Heusel et al., 2017, with the target
  domain's classifier features in place of Inception's): between the
  translations and the real test images of the target domain. Given beside
  it: the distance of the untranslated source images, the gap translation
  has to close.

Domains without labels (tfds cycle_gan) get only the cycle error.
"""
import json
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax.core import errors
from gan_jax import evaluation
from gan_jax import plotting
from gan_jax.core import train

# Classifier training: small and fixed so every run is scored the same way.
CLASSIFIER_STEPS = 1500
CLASSIFIER_BATCH = 64
CLASSIFIER_LEARNING_RATE = 1e-3
CLASSIFIER_SEED = 0


class DigitClassifier(nn.Module):
  """images (N, H, W, C) -> (logits (N, classes), features (N, 64))."""
  num_classes: int = 10

  @nn.compact
  def __call__(self, x):
    h = nn.relu(nn.Conv(32, (3, 3))(x))
    h = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(h))
    h = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(h))
    features = nn.relu(nn.Dense(64)(h.reshape((h.shape[0], -1))))
    return nn.Dense(self.num_classes)(features), features


def train_classifier(images, labels, *, num_classes=10, steps=CLASSIFIER_STEPS,
                     seed=CLASSIFIER_SEED):
  """Params of a DigitClassifier fit to (images, labels) with Adam.

  Training images get a random shift of up to one pixel, so the classifier
  keys on the digit's shape rather than exact pixel positions.
  """
  model = DigitClassifier(num_classes)
  rng = jax.random.PRNGKey(seed)
  params = model.init(rng, jnp.asarray(images[:1]))
  tx = optax.adam(CLASSIFIER_LEARNING_RATE)
  images, labels = jnp.asarray(images), jnp.asarray(labels)
  batch = min(CLASSIFIER_BATCH, len(images))

  def loss_fn(params, x, y):
    logits, _ = model.apply(params, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  def step(carry, key):
    params, opt_state = carry
    index_key, shift_key = jax.random.split(key)
    idx = jax.random.choice(index_key, len(images), (batch,), replace=False)
    shift = jax.random.randint(shift_key, (2,), -1, 2)
    x = jnp.roll(images[idx], shift, axis=(1, 2))
    grads = jax.grad(loss_fn)(params, x, labels[idx])
    updates, opt_state = tx.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state), None

  keys = jax.random.split(jax.random.fold_in(rng, 1), steps)
  (params, _), _ = jax.jit(lambda c, k: jax.lax.scan(step, c, k))(
      (params, tx.init(params)), keys)
  return model, params


def classify(model, params, images):
  """(predicted labels, features) as numpy."""
  logits, features = jax.jit(model.apply)(params, jnp.asarray(images))
  return np.asarray(jnp.argmax(logits, -1)), np.asarray(features, np.float64)


def evaluate(objective, g_params, dataset, *, classifier_steps=CLASSIFIER_STEPS):
  """The metrics above as a JSON-ready dict, on dataset.test."""
  test = dataset.test
  out = objective.sample(g_params, None, max(len(test['a']), len(test['b'])))
  result = {
      'num_test': {'a': len(out['a']), 'b': len(out['b'])},
      'cycle_error': {
          'a2b2a': float(np.mean(np.abs(out['a2b2a'] - out['a']))),
          'b2a2b': float(np.mean(np.abs(out['b2a2b'] - out['b']))),
      },
  }
  if 'label_a' not in dataset.train or 'label_b' not in dataset.train:
    return result
  classifiers = {
      d: train_classifier(dataset.train[d], dataset.train[f'label_{d}'],
                          num_classes=dataset.num_classes,
                          steps=classifier_steps)
      for d in ('a', 'b')}
  accuracy, preservation, frechet, untranslated = {}, {}, {}, {}
  for source, target in (('a', 'b'), ('b', 'a')):
    name = f'{source}2{target}'
    labels = out[f'label_{source}']
    model, params = classifiers[target]
    predicted, real_features = classify(model, params, out[target])
    accuracy[target] = float(np.mean(predicted == out[f'label_{target}']))
    predicted, features = classify(model, params, out[name])
    preservation[name] = float(np.mean(predicted == labels))
    frechet[name] = evaluation.frechet_distance(features, real_features)
    # The source images seen as they are by the target's classifier (needs
    # equal channel counts).
    if out[source].shape[-1] == out[target].shape[-1]:
      _, source_features = classify(model, params, out[source])
      untranslated[name] = evaluation.frechet_distance(source_features, real_features)
  result.update({
      'classifier_accuracy_on_real_test': accuracy,
      'label_preservation': preservation,
      'frechet_distance': frechet,
      'frechet_distance_untranslated': untranslated,
  })
  return result


def evaluate_workdir(workdir, *, classifier_steps=CLASSIFIER_STEPS,
                     figure_columns=16):
  """Evaluates a CycleGAN workdir; writes eval.json and translations.png."""
  config_path = os.path.join(workdir, 'config.json')
  if os.path.exists(config_path):
    with open(config_path) as f:
      trained = json.load(f).get('objective')
    if trained != 'cyclegan':
      raise errors.ConfigError(
          f'{workdir!r} holds a {trained!r} run; this evaluation scores '
          "'cyclegan' runs only")
  config, _, objective, state = train.load_trained(workdir)
  dataset = train.load_dataset(config)
  result = evaluate(objective, state.g_params, dataset,
                    classifier_steps=classifier_steps)
  result['step'] = int(state.step)
  with open(os.path.join(workdir, 'eval.json'), 'w') as f:
    json.dump(result, f, indent=2)
  save_translation_figure(objective, state.g_params,
                          os.path.join(workdir, 'translations.png'),
                          columns=figure_columns)
  return result


def save_translation_figure(objective, g_params, path, *, columns=16):
  """Rows a / a2b / a2b2a / b / b2a / b2a2b on the first test images."""
  plotting.save_image_grid(path, objective.translation_grid(g_params, columns))

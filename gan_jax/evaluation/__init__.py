"""Numbers that judge a trained generator, computed with a small classifier.

The classifier is a small CNN trained by this module on the dataset's training
split (deterministic: fixed seed, full-precision CPU math) and cached by a hash
of its data and settings. From it:

- `frechet_distance`: the Frechet distance between Gaussians fitted to two sets
  of features, here the classifier's penultimate layer (a digits analogue of
  FID, Heusel et al., 2017), always printed beside a real-vs-real baseline at
  the same sample size, since the estimate is biased upward by finite samples.
- conditional runs: accuracy of the classifier on samples against the labels
  they were asked for, and per-class diversity.
- InfoGAN runs: accuracy of the categorical code as a class label after the
  best one-to-one matching of codes to classes (Hungarian algorithm).

Per-objective evaluations are registered with `register_evaluator`;
`evaluate_run` dispatches on the run's objective.
"""
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.optimize

from gan_jax.core import errors
from gan_jax import plotting
from gan_jax.core import train

# ----------------------------------------------------------------------------
# The classifier.


class DigitClassifier(nn.Module):
  """images (batch, H, W, C) -> (logits (batch, classes), features (batch, F)).

  An MLP (hidden 256, then F features, the penultimate layer that the
  Frechet distance reads) with dropout. A small CNN scores about the same on
  the 8x8 digits but trains ten times slower on a CPU.
  """
  num_classes: int
  num_features: int = 64
  hidden: int = 256

  @nn.compact
  def __call__(self, x, *, train: bool = False):
    h = x.reshape((x.shape[0], -1))
    h = nn.relu(nn.Dense(self.hidden)(h))
    h = nn.Dropout(0.25, deterministic=not train)(h)
    features = nn.relu(nn.Dense(self.num_features)(h))
    logits = nn.Dense(self.num_classes)(
        nn.Dropout(0.25, deterministic=not train)(features))
    return logits, features


@dataclasses.dataclass(frozen=True)
class ClassifierSettings:
  num_steps: int = 1500
  batch_size: int = 128
  learning_rate: float = 1e-3
  weight_decay: float = 1e-4
  num_features: int = 64
  seed: int = 0


@dataclasses.dataclass
class Classifier:
  """A trained DigitClassifier and its accuracy on the held-out split."""
  module: DigitClassifier
  params: dict
  test_accuracy: float

  def __post_init__(self):
    self._apply = jax.jit(lambda p, x: self.module.apply(p, x))

  def logits_and_features(self, images, chunk=2000):
    images = np.asarray(images, np.float32)
    outs = [self._apply(self.params, images[i:i + chunk])
            for i in range(0, len(images), chunk)]
    return (np.concatenate([np.asarray(o[0]) for o in outs]),
            np.concatenate([np.asarray(o[1]) for o in outs]).astype(
                np.float64))

  def predict(self, images):
    return self.logits_and_features(images)[0].argmax(-1).astype(np.int32)

  def features(self, images):
    """The penultimate layer, float64 (N, F): what the Frechet distance reads."""
    return self.logits_and_features(images)[1]


def classifier_features(classifier, images):
  return classifier.features(images)


def train_classifier(images, labels, *, num_classes,
                     settings=ClassifierSettings()):
  """Params of a DigitClassifier fitted to (images, labels) with AdamW.

  Deterministic: minibatches and dropout come from settings.seed.
  """
  module = DigitClassifier(num_classes, settings.num_features)
  images = jnp.asarray(images, jnp.float32)
  labels = jnp.asarray(labels, jnp.int32)
  rng = jax.random.PRNGKey(settings.seed)
  init_rng, train_rng = jax.random.split(rng)
  params = module.init(init_rng, images[:1])
  tx = optax.adamw(settings.learning_rate,
                   weight_decay=settings.weight_decay)
  batch_size = min(settings.batch_size, len(images))

  def loss_fn(params, x, y, rng):
    logits, _ = module.apply(params, x, train=True, rngs={'dropout': rng})
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  def step(carry, rng):
    params, opt_state = carry
    idx_rng, dropout_rng = jax.random.split(rng)
    idx = jax.random.choice(idx_rng, len(images), (batch_size,),
                            replace=False)
    grads = jax.grad(loss_fn)(params, images[idx], labels[idx], dropout_rng)
    updates, opt_state = tx.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state), None

  @jax.jit
  def fit(params, rng):
    rngs = jax.random.split(rng, settings.num_steps)
    (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), rngs)
    return params

  return module, fit(params, train_rng)


def _cache_key(arrays, num_classes, settings):
  digest = hashlib.sha256()
  for a in arrays:
    a = np.ascontiguousarray(a)
    digest.update(str((a.dtype, a.shape)).encode())
    digest.update(a.tobytes())
  digest.update(repr((num_classes, dataclasses.astuple(settings))).encode())
  return digest.hexdigest()[:16]


def load_or_train_classifier(train_images, train_labels, test_images,
                             test_labels, *, num_classes, cache_dir,
                             settings=ClassifierSettings()):
  """A Classifier for this data, read from cache_dir or trained and cached.

  The cache file is named by a hash of the data and settings, so a different
  split, image size or setting trains a new one.
  """
  key = _cache_key([train_images, train_labels, test_images, test_labels],
                   num_classes, settings)
  path = os.path.join(cache_dir, f'classifier_{key}.msgpack')
  module = DigitClassifier(num_classes, settings.num_features)
  if os.path.exists(path):
    template = module.init(jax.random.PRNGKey(0),
                           jnp.zeros((1, *train_images.shape[1:])))
    with open(path, 'rb') as f:
      params = flax.serialization.from_bytes(template, f.read())
  else:
    module, params = train_classifier(train_images, train_labels,
                                      num_classes=num_classes,
                                      settings=settings)
    os.makedirs(cache_dir, exist_ok=True)
    # A private temporary name, so concurrent evaluations never mix bytes.
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
      f.write(flax.serialization.to_bytes(params))
    os.replace(tmp, path)
  classifier = Classifier(module, params, 0.0)
  classifier.test_accuracy = float(
      np.mean(classifier.predict(test_images) == np.asarray(test_labels)))
  return classifier


# ----------------------------------------------------------------------------
# Distances and matchings.


def gaussian_statistics(features):
  """Mean and (unbiased) covariance of (N, F) features, in float64."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise errors.ConfigError(
        f'need (N >= 2, F) features, got shape {features.shape}')
  return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def _psd_sqrt(matrix):
  """Square root of a symmetric positive semi-definite matrix by eigh."""
  values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
  return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
  """||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)).

  tr((C_a C_b)^(1/2)) is computed as the sum of square roots of the
  eigenvalues of C_a^(1/2) C_b C_a^(1/2), which is symmetric PSD and has the
  same spectrum as C_a C_b: no complex parts and no sqrtm iteration.
  """
  sqrt_a = _psd_sqrt(cov_a)
  middle = sqrt_a @ cov_b @ sqrt_a
  eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
  trace_sqrt = np.sum(np.sqrt(np.clip(eigenvalues, 0, None)))
  diff = mean_a - mean_b
  value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
  return float(max(value, 0.0))


def frechet_distance(features_a, features_b):
  """Frechet distance between Gaussians fitted to two (N, F) feature sets."""
  return frechet_distance_from_statistics(*gaussian_statistics(features_a),
                                          *gaussian_statistics(features_b))


def hungarian_accuracy(codes, labels, *, num_codes, num_classes):
  """Best one-to-one code -> class matching and the accuracy it gives.

  Returns (accuracy, {code: class}); codes left unmatched (num_codes >
  num_classes) count as errors.
  """
  codes, labels = np.asarray(codes), np.asarray(labels)
  counts = np.zeros((num_codes, num_classes), np.int64)
  np.add.at(counts, (codes, labels), 1)
  rows, cols = scipy.optimize.linear_sum_assignment(counts, maximize=True)
  accuracy = counts[rows, cols].sum() / len(codes)
  return float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}


def mean_pairwise_distance(x, max_items=200):
  """Mean Euclidean distance between distinct rows of x (flattened); the
  first max_items rows only, so the cost stays small."""
  x = np.asarray(x, np.float64).reshape((len(x), -1))[:max_items]
  if len(x) < 2:
    return 0.0
  sq = np.sum(x**2, axis=1)
  d2 = np.clip(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0, None)
  return float(np.sqrt(d2)[np.triu_indices(len(x), 1)].mean())


def frechet_with_baseline(classifier, real_images, fake_images, *, seed=0):
  """Frechet distance of fakes to real data, beside a real-vs-real baseline.

  The real images are shuffled (by seed) and halved: the first half is the
  reference, the second half the baseline, and the same number n of fakes
  is compared with the reference, so both numbers share a sample size (n is
  half the real images, or fewer when fewer fakes are given).
  """
  real_images = np.asarray(real_images)
  perm = np.random.default_rng(seed).permutation(len(real_images))
  n = min(len(perm) // 2, len(fake_images))
  reference = classifier.features(real_images[perm[:n]])
  baseline = classifier.features(real_images[perm[n:2 * n]])
  fakes = classifier.features(np.asarray(fake_images)[:n])
  return {
      'frechet': frechet_distance(reference, fakes),
      'frechet_real_vs_real': frechet_distance(reference, baseline),
      'frechet_num_samples': int(n),
  }


# ----------------------------------------------------------------------------
# Per-objective evaluations.

# objective name -> fn(context) -> dict of results.
EVALUATORS: dict[str, Callable[..., dict]] = {}
# objective name -> the result that summarises a run (for evaluate_seeds).
HEADLINE_METRICS: dict[str, str] = {}


def register_evaluator(objective_name, *, headline='frechet'):
  """Registers fn(RunContext) -> dict as the evaluation of an objective."""
  def decorator(fn):
    EVALUATORS[objective_name] = fn
    HEADLINE_METRICS[objective_name] = headline
    return fn
  return decorator


@dataclasses.dataclass
class RunContext:
  """What an evaluator gets: the loaded run, its data and the classifier."""
  workdir: str
  config: object
  objective: object
  state: object
  dataset: object
  classifier: Classifier
  num_samples: int
  seed: int

  @property
  def rng(self):
    return jax.random.PRNGKey(self.seed)

  @property
  def all_real_images(self):
    return np.concatenate([self.dataset.train['x'], self.dataset.test['x']])


@register_evaluator('vanilla')
def evaluate_unconditional(ctx):
  """Frechet distance and how the classifier spreads samples over classes."""
  images = ctx.objective.sample(ctx.state.g_params, ctx.rng,
                                ctx.num_samples)['images']
  predicted = ctx.classifier.predict(images)
  shares = np.bincount(predicted, minlength=ctx.dataset.num_classes) / len(
      predicted)
  return {
      **frechet_with_baseline(ctx.classifier, ctx.all_real_images, images,
                              seed=ctx.seed),
      'predicted_class_shares': [round(float(s), 4) for s in shares],
  }


@register_evaluator('conditional', headline='label_accuracy')
def evaluate_conditional(ctx):
  """Label accuracy of samples, per-class diversity, Frechet distance."""
  samples = ctx.objective.sample(ctx.state.g_params, ctx.rng, ctx.num_samples)
  images, labels = samples['images'], samples['labels']
  predicted = ctx.classifier.predict(images)
  diversity = {}
  real_x, real_y = ctx.dataset.train['x'], ctx.dataset.train['y']
  for k in range(ctx.dataset.num_classes):
    generated = mean_pairwise_distance(images[labels == k])
    real = mean_pairwise_distance(real_x[real_y == k])
    diversity[str(k)] = {'generated': round(generated, 4),
                         'real': round(real, 4),
                         'ratio': round(generated / real, 4)}
  per_class = {str(k): float(np.mean(predicted[labels == k] == k))
               for k in range(ctx.dataset.num_classes)}
  return {
      'label_accuracy': float(np.mean(predicted == labels)),
      'label_accuracy_per_class': per_class,
      'diversity_per_class': diversity,
      'min_diversity_ratio': min(d['ratio'] for d in diversity.values()),
      **frechet_with_baseline(ctx.classifier, ctx.all_real_images, images,
                              seed=ctx.seed),
  }


@register_evaluator('infogan', headline='matched_code_accuracy')
def evaluate_infogan(ctx):
  """Matched code accuracy, Frechet distance, and traversal figures."""
  objective = ctx.objective
  samples = objective.sample(ctx.state.g_params, ctx.rng, ctx.num_samples)
  predicted = ctx.classifier.predict(samples['images'])
  accuracy, mapping = hungarian_accuracy(
      samples['codes'], predicted, num_codes=objective.num_categories,
      num_classes=ctx.dataset.num_classes)
  figures = []
  for j in range(objective.num_continuous):
    path = os.path.join(ctx.workdir, f'traversal_code{j}.png')
    plotting.save_image_grid(path, objective.traversal_grid(
        ctx.state.g_params, ctx.rng, code_index=j))
    figures.append(os.path.basename(path))
  return {
      'matched_code_accuracy': accuracy,
      'code_to_class': {str(k): v for k, v in mapping.items()},
      'q_real_code_information': code_information_on_real(
          objective, ctx.state, ctx.dataset.train['x']),
      **frechet_with_baseline(ctx.classifier, ctx.all_real_images,
                              samples['images'], seed=ctx.seed),
      'traversal_figures': figures,
  }


def _saved_objective(workdir):
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f).get('objective')


def evaluate_run(workdir, *, num_samples=2000, seed=0, cache_dir=None,
                 settings=ClassifierSettings()):
  """Evaluates a trained workdir; writes and returns WORKDIR/eval.json's dict."""
  if num_samples < 2:
    raise errors.ConfigError(f'num_samples must be >= 2, got {num_samples}')
  if _saved_objective(workdir) == 'cyclegan':
    # Two domains, a classifier per domain: its own evaluation.
    from gan_jax.evaluation import cyclegan as cyclegan_eval  # pylint: disable=g-import-not-at-top
    return cyclegan_eval.evaluate_workdir(workdir)
  config, spec, objective, state = train.load_trained(workdir)
  if config.objective not in EVALUATORS:
    raise errors.choices_error('objective to evaluate', config.objective,
                               EVALUATORS)
  if spec.kind != 'image' or spec.num_classes < 2:
    raise errors.ConfigError(
        f'evaluation needs labelled images; dataset {config.dataset!r} is '
        f'{spec.kind} data with {spec.num_classes} classes')
  dataset = train.load_dataset(config)
  classifier = load_or_train_classifier(
      dataset.train['x'], dataset.train['y'], dataset.test['x'],
      dataset.test['y'], num_classes=dataset.num_classes,
      cache_dir=cache_dir or os.path.join(workdir, 'classifier'),
      settings=settings)
  ctx = RunContext(workdir, config, objective, state, dataset, classifier,
                   num_samples, seed)
  results = {
      'objective': config.objective,
      'dataset': config.dataset,
      'step': int(state.step),
      'num_samples': num_samples,
      'seed': seed,
      'classifier_test_accuracy': classifier.test_accuracy,
      **EVALUATORS[config.objective](ctx),
  }
  with open(os.path.join(workdir, 'eval.json'), 'w') as f:
    json.dump(results, f, indent=2)
  return results


def format_table(results):
  """The scalar results as an aligned two-column table."""
  flat = {}
  for k, v in results.items():  # One level of nesting, e.g. per direction.
    if isinstance(v, dict):
      flat.update({f'{k}.{kk}': vv for kk, vv in v.items()})
    else:
      flat[k] = v
  rows = [(k, v) for k, v in flat.items()
          if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
  width = max(len(k) for k, _ in rows)
  return '\n'.join(
      f'{k:<{width}}  {v:.4f}' if isinstance(v, float) else f'{k:<{width}}  {v}'
      for k, v in rows)


def code_information_on_real(objective, state, images, chunk=2000):
  """Label-free score of an InfoGAN run: the mutual information between Q's
  categorical code and unlabelled real images, H(E_x Q(c|x)) - E_x H(Q(c|x))
  in nats (at most log K). High when Q sorts the real images confidently and
  evenly into the codes, as it does when the codes are the data's classes."""
  def code_probs(x):
    _, q_outputs = objective.discriminator.apply(state.d_params, x,
                                                 train=False)
    return jax.nn.softmax(q_outputs[:, :objective.num_categories])
  probs = np.concatenate([
      np.asarray(code_probs(jnp.asarray(images[i:i + chunk])))
      for i in range(0, len(images), chunk)])
  def entropy(p):
    return -np.sum(p * np.log(np.maximum(p, 1e-12)), axis=-1)
  return float(entropy(probs.mean(0)) - entropy(probs).mean())


# objective -> label-free fn(objective, state, real images) -> float, higher
# is better: what evaluate_seeds(restarts > 1) keeps runs by.
RESTART_SCORES = {'infogan': code_information_on_real}


def restart_score(run_dir, images):
  """The RESTART_SCORES score of the trained run in run_dir."""
  config, _, objective, state = train.load_trained(run_dir)
  return RESTART_SCORES[config.objective](objective, state, images)


def evaluate_seeds(config, workdir, seeds, *, restarts=1, **evaluate_options):
  """Trains (or resumes) config once per seed in WORKDIR/seed_<s>, evaluates
  each, and writes WORKDIR/seeds.json with the headline metric's median.

  restarts > 1 (objectives in RESTART_SCORES: InfoGAN): seed s also trains
  with seeds s + 1000 r, r = 1 .. restarts - 1 (in
  WORKDIR/seed_<s>_restart<r>), and keeps the run with the highest
  label-free score (InfoGAN: `code_information_on_real`) on the training
  images of seed s (all restarts scored on the same images); labels are used
  only to evaluate the kept run.
  """
  if not seeds:
    raise errors.ConfigError('give at least one seed, e.g. --seeds=0,1,2')
  if config.objective not in EVALUATORS:
    raise errors.choices_error('objective to evaluate', config.objective,
                               EVALUATORS)
  if not isinstance(restarts, int) or restarts < 1:
    raise errors.ConfigError(f'restarts must be an int >= 1, got {restarts!r}')
  if restarts > 1 and config.objective not in RESTART_SCORES:
    having = ', '.join(repr(name) for name in RESTART_SCORES)
    raise errors.ConfigError(
        f'restarts > 1 needs a label-free selection score, which only '
        f'objective {having} has; got objective {config.objective!r}')
  headline = HEADLINE_METRICS[config.objective]
  per_seed, kept = {}, {}
  for seed in seeds:
    scores = {}
    for restart in range(restarts):
      run_config = config.copy_and_resolve_references()
      run_config.seed = seed + 1000 * restart
      run_dir = os.path.join(
          workdir, f'seed_{seed}' + (f'_restart{restart}' if restart else ''))
      train.train_and_evaluate(run_config, run_dir)
      if restarts > 1:
        if not restart:
          images = train.load_dataset(run_config).train['x']
        scores[run_dir] = restart_score(run_dir, images)
    if restarts > 1:
      run_dir = max(scores, key=scores.get)
      kept[str(seed)] = {'run': os.path.basename(run_dir),
                         'scores': {os.path.basename(d): round(v, 4)
                                    for d, v in scores.items()}}
    results = evaluate_run(run_dir, **evaluate_options)
    per_seed[str(seed)] = results[headline]
    print(f'seed {seed}: {headline} {results[headline]:.4f}'
          + (f' (kept {os.path.basename(run_dir)})' if restarts > 1 else ''),
          flush=True)
  summary = {
      'objective': config.objective,
      'metric': headline,
      'per_seed': per_seed,
      'median': float(np.median(list(per_seed.values()))),
  }
  if restarts > 1:
    summary['restarts'] = restarts
    summary['kept_runs'] = kept
  with open(os.path.join(workdir, 'seeds.json'), 'w') as f:
    json.dump(summary, f, indent=2)
  return summary

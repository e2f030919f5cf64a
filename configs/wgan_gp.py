"""WGAN-GP (Gulrajani et al., 2017) on a 2D Gaussian mixture: ring8 or grid25.

python -m experiments.run --config=configs/wgan_gp.py --workdir=/tmp/wgan_gp
python -m experiments.run --config=configs/wgan_gp.py --config.dataset=grid25 --workdir=...

The critic's Wasserstein loss with the gradient penalty (lambda 10), 5
critic steps per G step, Adam with beta1 0 and beta2 0.9 (the paper's
settings), on configs/mixture.py's networks, 5,000 G steps and learning rate
decayed linearly to 0. The step size is 1e-3, not the paper's 1e-4: at 1e-4
G is still far from the ring after 5,000 steps (seeds 0-2: 0, 0 and 2 modes,
under 1% of samples near a mode; constant 1e-4: 1 mode, radius 0.63).

Expected (ring8): all 8 modes covered, about 60-70% of 2,500 plain samples
within 3 std of a mode (python -m experiments.evaluate --workdir=/tmp/wgan_gp
on seed 0: 8 of 8 modes, 69.7%; seeds 0-2 in the loss table: 8, 8, 8 modes);
training took 4.4 min on 2 CPU cores shared with other jobs.
"""
from configs import mixture


def get_config():
  config = mixture.get_config()
  config.gan_loss = 'wasserstein'    # Critic E[D(G(z))] - E[D(x)]; G: -E[D(G(z))].
  config.penalty.gp_weight = 10.0    # lambda of (||grad D(x_hat)|| - 1)^2.
  config.d_steps = 5                 # Critic steps per G step.
  config.num_steps = 5000            # G steps.
  config.optimizer.d_learning_rate = 1e-3  # Both sides' Adam step size (paper: 1e-4; see above).
  config.optimizer.b1 = 0.0          # The paper's Adam betas.
  config.optimizer.b2 = 0.9
  # The critic's scores are not log density ratios, so rejection sampling
  # has no exact meaning here; the plain G is the result.
  config.rejection.enabled = False
  return config

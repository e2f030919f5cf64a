"""Core: the train state, the step, the loop, parallelism, checkpoints, config rules."""

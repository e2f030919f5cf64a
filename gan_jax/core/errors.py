"""User-facing errors: one line, naming what is wrong and what is valid.

The CLI entry points catch `GanJaxError` and print its message alone (no
traceback) with a non-zero exit; everything else is a bug and keeps its
traceback.
"""


class GanJaxError(Exception):
  """Base class for errors caused by the user's input, not by a bug."""


class ConfigError(GanJaxError, ValueError):
  """A config value is invalid (unknown name, out of range, inconsistent)."""


class CheckpointError(GanJaxError):
  """A workdir has no checkpoint, or its checkpoint cannot be read."""


class TrainingDivergedError(GanJaxError):
  """A loss became NaN or infinite; the last good checkpoint is kept.
  `step`: the last step whose state was finite, where known."""

  def __init__(self, message, step=None):
    super().__init__(message)
    self.step = step


def choices_error(what, value, valid):
  """Returns a ConfigError for a name that is not one of `valid`."""
  return ConfigError(
      f"unknown {what} {value!r}; valid: {', '.join(sorted(map(str, valid)))}")

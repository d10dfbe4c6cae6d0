"""Test-suite set-up: the Hypothesis profile (``ci`` unless HYPOTHESIS_PROFILE says otherwise)."""

import os

from hypothesis import settings

import resproof.profiles  # noqa: F401  (registers the profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

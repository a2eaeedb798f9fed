"""Hypothesis profiles for the bad-input tests: `security` (small, derandomised, the default: the folder stays
within the suite's time budget) and `deep` (`HYPOTHESIS_PROFILE=deep`, for a long local run). Tests apply
them with `settings(fuzz_settings())`; nothing is loaded globally, so other tests keep Hypothesis' defaults."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

_COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=False)
# no shrinking by default: a failing body is reported as found, and a failure costs seconds, not a minute
settings.register_profile("security", max_examples=5, derandomize=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON)
settings.register_profile("deep", max_examples=200, derandomize=False, **_COMMON)

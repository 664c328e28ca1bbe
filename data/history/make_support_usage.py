"""Write support_usage.csv: 30 months of a support reply assistant's usage.

Synthetic but plausible: agents adopt it along a logistic curve towards ~430 of
480, requests per agent creep up 0.8% a month, retail seasonality peaks in
November-December, and both series carry ~3% noise. Fixed seed, so re-running
reproduces the committed file byte for byte::

    python data/history/make_support_usage.py
"""

from pathlib import Path

import numpy as np

rng = np.random.default_rng(20261231)
months = np.arange("2024-07", "2027-01", dtype="datetime64[M]")  # 30 months, to 2026-12
t = np.arange(len(months))
season = np.array([1.08, 0.94, 0.96, 0.97, 0.98, 0.95, 0.96, 0.97, 0.99, 1.02, 1.08, 1.10])
calendar = months.astype(int) % 12  # 0 = January
users = 430 / (1 + np.exp(-(t - 6) / 3.0)) * rng.normal(1, 0.03, len(t))
requests = users * 300 * 1.008**t * season[calendar] * rng.normal(1, 0.03, len(t))

lines = ["month,requests,active_users"]
lines += [f"{m},{r:.0f},{u:.0f}" for m, r, u in zip(months, requests, users, strict=True)]
Path(__file__).with_name("support_usage.csv").write_text("\n".join(lines) + "\n")

"""The project's environment variables, as .env.example lists them."""

from __future__ import annotations

import re
from pathlib import Path

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"

# Every variable the project reads is in .env.example (a test checks it): a developer's shell
# must not leak any of them into a test.
PROJECT_ENVIRONMENT = sorted(
    set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
)

"""Progress of one repository's run, by phase: rows in `code_index_progress` (what the `status`
command and the UI read while the run goes on), a log line with the tenant and repository, and
one percentage that never goes backwards within a run."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from enrichment_assets.storage import code_graph as repositories
from enrichment_assets.storage import code_graph_status as status_store

# The share of a whole run each phase takes, roughly as measured on a real repository.
PHASE_WEIGHTS = {"walk": 5, "hash": 10, "parse": 50, "resolve": 5, "write": 10, "embed": 20}
PHASES = tuple(PHASE_WEIGHTS)


def overall_percent(phases: dict[str, dict]) -> int:
    """The weighted share of the work done: a finished phase counts whole, a running one by
    its done/total, a waiting one not at all."""
    total = 0.0
    for phase, weight in PHASE_WEIGHTS.items():
        row = phases.get(phase)
        if not row:
            continue
        if row["state"] == "done":
            total += weight
        elif row["total"]:
            total += weight * min(1.0, row["done"] / row["total"])
    return int(total * 100 / sum(PHASE_WEIGHTS.values()))


class ProgressLog:
    """Writes a phase's progress at most every `interval` seconds (and always when it ends),
    and logs each write through `log`, prefixed with `label`."""

    def __init__(
        self, engine: Engine, tenant: str, repo: str, run_id: str, label: str,
        log: Callable[[str], None] = print, interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.engine, self.tenant, self.repo, self.run_id = engine, tenant, repo, run_id
        self.label, self._log, self.interval, self.clock = label, log, interval, clock
        self._last_write: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self.percent = 0

    def start_run(self) -> None:
        """A new run: every phase waits again (the first asset of a run calls this)."""
        status_store.reset_progress(self.engine, self.tenant, self.repo, self.run_id, PHASES)
        self.percent = 0

    def log(self, message: str) -> None:
        self._log(f"{self.label} {message}")

    def update(self, phase: str, done: int, total: int, final: bool = False) -> None:
        now = self.clock()
        self._started.setdefault(phase, now)
        if not final and now - self._last_write.get(phase, -1e9) < self.interval:
            return
        self._last_write[phase] = now
        seconds = now - self._started[phase]
        state = "done" if final else "running"
        phases = status_store.set_progress(
            self.engine, self.tenant, self.repo, self.run_id, phase, done, total, seconds, state
        )
        # Never backwards: a total that grows (or a phase re-entered) cannot lower the figure.
        self.percent = max(self.percent, overall_percent(phases))
        repositories.update_repository(self.engine, self.tenant, self.repo, progress=self.percent)
        self.log(f"{phase} {done}/{total}{' done' if final else ''} ({self.percent}% overall)")

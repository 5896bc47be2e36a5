"""Peak memory of the process that calls it, and of nothing else.

`getrusage(RUSAGE_SELF).ru_maxrss` is the wrong figure for a benchmark's child process: Linux
carries the parent's high-water mark across fork and exec, so a child started by `make bench`
after the embedding benchmark loaded torch reports the parent's 600 MB whatever it did itself.
`VmHWM` in /proc/self/status belongs to the process's own address space, which exec replaces.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # the kernel writes kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")

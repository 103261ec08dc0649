"""What the machine did while a run ran: CPU time stolen by the hypervisor, and CPU time
of processes other than the run's own (Linux: /proc/stat)."""

from __future__ import annotations

import os
import resource

# The shares in a run's figures, and their titles in the report. Either one slows a run
# for reasons of its own: a ratio measured while they were high says less about the code.
LOAD_METRICS = {"steal_pct": "steal", "others_pct": "other processes"}


class CpuClock:
    """The machine's CPU time (all CPUs) and the run's own, read before and after a run."""

    def __init__(self) -> None:
        self.start = _cpu_ticks()
        self.own_start = _children_cpu_seconds()

    def load(self) -> dict[str, float]:
        """``steal_pct``, ``others_pct`` and ``own_pct`` since this clock started: shares
        of all the CPU time that passed, in percent (empty where there is no /proc/stat)."""
        ticks = self.ticks()
        return shares(*ticks) if ticks is not None else {}

    def ticks(self) -> tuple[int, int, int, float] | None:
        """Clock ticks since this clock started: all CPUs' time, the busy and the stolen
        part of it, and the run's own (children of this process reaped meanwhile)."""
        end = _cpu_ticks()
        if self.start is None or end is None:
            return None
        total, busy, steal = (e - s for e, s in zip(end, self.start, strict=True))
        own = (_children_cpu_seconds() - self.own_start) * os.sysconf("SC_CLK_TCK")
        return total, busy, steal, own


def shares(total: int, busy: int, steal: int, own: float) -> dict[str, float]:
    """The tick counts of ``CpuClock.ticks`` as percentages of ``total``."""
    if total <= 0:
        return {}
    return {
        "steal_pct": steal / total * 100,
        "others_pct": max(0.0, busy - own) / total * 100,
        "own_pct": own / total * 100,  # the run's processes (children of this one)
    }


def _cpu_ticks() -> tuple[int, int, int] | None:
    """All CPUs' time so far, the busy part of it and the stolen part, in clock ticks."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(f) for f in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 8:
        return None
    # user nice system idle iowait irq softirq steal (guest time is within user)
    total, idle, steal = sum(fields), fields[3] + fields[4], fields[7]
    return total, total - idle - steal, steal


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

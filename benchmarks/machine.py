"""What the speed benchmarks record about the machine they ran on."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autocode.versions import package_versions


def machine_facts(extra_packages: Sequence[str] = ()) -> dict[str, Any]:
    """CPUs, torch threads, platform, load average now, and package versions."""
    import torch  # here, so that importing this module costs a memory benchmark nothing

    return {
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "versions": package_versions(extra_packages),
    }


def peak_rss_mb() -> float | None:
    """This process's high-water RSS in MB (VmHWM: ru_maxrss would carry the parent's over
    exec), None where the kernel does not report it."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None

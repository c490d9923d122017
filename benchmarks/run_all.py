"""Run every benchmark, one process each, and print the ratios from benchmarks/results.json.

    python -m benchmarks.run_all        (or: make bench)
"""

import json
import subprocess
import sys
import time

from benchmarks.common import RESULTS

FIGURES = ["pipeline_overhead", "naive_baseline", "input_pipeline", "serving_latency", "startup", "time_to_model",
           "scale", "forecast_throughput", "backend_throughput", "sweep_parallel", "generation_throughput",
           "retrieval_latency"]


def main() -> int:
    RESULTS.unlink(missing_ok=True)
    started = time.perf_counter()
    failed = [f for f in FIGURES if subprocess.run([sys.executable, "-m", f"benchmarks.{f}"]).returncode != 0]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    print(f"\n{len(results)} figures in {time.perf_counter() - started:.0f} s -> {RESULTS}")
    for name, entry in results.items():
        print(f"  {name:18s} ratio {entry['ratio']:8.3f}   {entry['value']} vs {entry['baseline']} {entry['unit']}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

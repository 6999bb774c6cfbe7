"""Benchmark of dataset validation and upload: speed against a plain json.loads loop, peak memory.

    python bench/bench_dataset.py                      # 300 MiB realistic chat JSONL, uploads of 100 MiB and 1 GiB
    python bench/bench_dataset.py --size-mb 300 --kinds realistic,ascii,multilingual --upload-mb 100,1024

Every measurement runs in its own fresh subprocess, so its peak RSS (`resource.getrusage`
ru_maxrss) is that of one validation or one upload and nothing else. Validation and the baseline
(`for line in open(path, encoding="utf-8"): json.loads(line)`) alternate, `--repeat` times each;
the ratio uses the best time of each (the machine may be shared: the best run is the least
disturbed one). Data goes to bench/data/ (git-ignored) and is generated once, seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "lib"))

KINDS = {"realistic": {}, "ascii": {"ensure_ascii": True}, "multilingual": {"multilingual": True}}


def dataset(kind: str, size_mb: int) -> Path:
    """The generated file for (kind, size), created on first use."""
    path = DATA / f"chat-{kind}-{size_mb}mb.jsonl"
    if not path.exists() or path.stat().st_size < size_mb * 1024 * 1024:
        import gen_dataset

        opts = KINDS[kind]
        gen_dataset.VOCAB = gen_dataset.MULTILINGUAL if opts.get("multilingual") else gen_dataset.WORDS
        print(f"generating {path.name} …", file=sys.stderr, flush=True)
        tmp = path.with_suffix(".tmp")
        gen_dataset.generate(tmp, size_mb * 1024 * 1024, seed=7, ensure_ascii=bool(opts.get("ensure_ascii")))
        tmp.replace(path)
    return path


# -- children: one measurement each ------------------------------------------------------------------

def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(argv: list[str]) -> None:
    what, path = argv[0], argv[1]
    if what == "json":
        start = time.perf_counter()
        n = 0
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                json.loads(line)
                n += 1
        result = {"seconds": time.perf_counter() - start, "lines": n}
    elif what == "validate":
        from synthlaunch.dataset import validate_dataset

        start = time.perf_counter()
        report = validate_dataset(path)
        result = {"seconds": time.perf_counter() - start, "examples": report.examples, "sha256": report.sha256}
    elif what == "upload":
        from synthlaunch.api import SynthClient
        from synthlaunch.console import Output
        from synthlaunch.upload import upload_dataset

        url, key, cache = argv[2], argv[3], argv[4]
        out = Output(quiet=True, stdout=sys.stderr, stderr=sys.stderr)
        start = time.perf_counter()
        res = upload_dataset(SynthClient(url, key), path, out=out, force=True, cache_path=Path(cache),
                             ready_timeout=1800)
        result = {"seconds": time.perf_counter() - start, "file_id": res.file_id, "bytes": res.bytes}
    else:
        raise SystemExit(f"unknown child {what}")
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(result))


def measure(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "_child", *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the runs -----------------------------------------------------------------------------------------

def bench_validation(path: Path, repeat: int) -> dict:
    base, val = [], []
    for _ in range(repeat):
        base.append(measure("json", str(path)))
        val.append(measure("validate", str(path)))
    best_base = min(r["seconds"] for r in base)
    best_val = min(r["seconds"] for r in val)
    mb = path.stat().st_size / 2**20
    return {"file": path.name, "size_mb": round(mb, 1), "examples": val[0]["examples"],
            "json_loads_s": round(best_base, 3), "validate_s": round(best_val, 3),
            "ratio": round(best_val / best_base, 3), "validate_mb_per_s": round(mb / best_val, 1),
            "median_ratio": round(statistics.median(r["seconds"] for r in val)
                                  / statistics.median(r["seconds"] for r in base), 3),
            "validate_peak_rss_mb": max(r["peak_rss_mb"] for r in val),
            "json_loads_peak_rss_mb": max(r["peak_rss_mb"] for r in base),
            "all_json_loads_s": [round(r["seconds"], 3) for r in base],
            "all_validate_s": [round(r["seconds"], 3) for r in val]}


def bench_upload(paths: list[Path]) -> list[dict]:
    """Upload each file to an embedded backend started in another process; peak RSS of the uploader."""
    import secrets
    import tempfile

    key = "sk_bench_" + secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="synthlaunch-bench-") as tmp:
        server = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time; sys.path.insert(0, sys.argv[3]);"
             "from synthlaunch.local.serve import BackendServer;"
             "s = BackendServer(api_keys=[sys.argv[1]], data_dir=sys.argv[2]); s.start();"
             "print(s.url, flush=True); time.sleep(10**6)", key, tmp, str(HERE.parent / "lib")],
            stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip() + "/api"
            rows = []
            for path in paths:
                r = measure("upload", str(path), url, key, str(Path(tmp) / "cache.json"))
                mb = path.stat().st_size / 2**20
                rows.append({"file": path.name, "size_mb": round(mb, 1), "upload_s": round(r["seconds"], 2),
                             "upload_peak_rss_mb": r["peak_rss_mb"]})
            return rows
        finally:
            server.terminate()
            server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--kinds", default="realistic", help=f"comma list of {', '.join(KINDS)}")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-mb", default="1024", help="also validate files of these sizes (peak RSS only)")
    parser.add_argument("--upload-mb", default="100,1024", help="upload files of these sizes ('' to skip)")
    parser.add_argument("--json-out", type=Path, default=DATA / "results.json")
    args = parser.parse_args(argv)

    results: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "validation": [],
                     "memory": [], "upload": []}
    for kind in [k for k in args.kinds.split(",") if k]:
        row = bench_validation(dataset(kind, args.size_mb), args.repeat)
        results["validation"].append(row)
        print(f"validate {row['file']}: {row['size_mb']} MiB, {row['examples']} examples | json.loads loop "
              f"{row['json_loads_s']} s | validate {row['validate_s']} s ({row['validate_mb_per_s']} MiB/s) | "
              f"ratio {row['ratio']} (median {row['median_ratio']}) | "
              f"peak RSS {row['validate_peak_rss_mb']} MiB", flush=True)
    for size in [int(s) for s in args.memory_mb.split(",") if s]:
        path = dataset("realistic", size)
        r = measure("validate", str(path))
        results["memory"].append({"file": path.name, "size_mb": size, "validate_s": round(r["seconds"], 2),
                                  "validate_peak_rss_mb": r["peak_rss_mb"]})
        print(f"validate {path.name}: {r['seconds']:.2f} s, peak RSS {r['peak_rss_mb']} MiB", flush=True)
    sizes = [int(s) for s in args.upload_mb.split(",") if s]
    if sizes:
        for row in bench_upload([dataset("realistic", s) for s in sizes]):
            results["upload"].append(row)
            print(f"upload {row['file']}: {row['size_mb']} MiB in {row['upload_s']} s (validation included), "
                  f"peak RSS {row['upload_peak_rss_mb']} MiB", flush=True)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.json_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

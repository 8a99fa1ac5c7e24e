"""A no-change `plan` of a generated monorepo against its floors, all measured in one run.

Run: python benchmarks/bench_plan.py [--apps 40] [--files 500] [--runs 5] [--quick]
                                     [--no-rsconnect] [--no-apply] [--no-rss]

Generates the monorepo of bench_manifest.py (APPS x FILES files) and times, each as a whole
process (what a user waits for; median of RUNS):
  floors       `python -c pass`; a Python scandir + stat of every file; read + md5 of every byte
  connectfile  the first apply, the plan right after it (and its request count), warm and
               cold (`.connect/cache` deleted) no-change plans, `validate`, `files APP`,
               `manifest --check`; the warm plan of a tree with a fifth of the files, for the
               per-file slope and the fixed cost; the warm plan with 200 ms per API GET
               (the emulator's delay fault), in round trips over the 0 ms plan
  rsconnect    `rsconnect write-manifest api` over every app (when rsconnect-python is installed)
  apply        a first apply of APPS small apps against a server holding every request 100 ms,
               at --parallelism 1 and 4 (--no-apply skips it)
  memory       peak RSS of a warm plan of 200 x 500 (small files; --no-rss skips it)
`connectfile emulator` runs as its own process on 127.0.0.1. Figures are printed with their
ratio to the floors and to rsconnect, and each goal of issue #11 as met or not.
Not a test: no thresholds fail it, it just prints figures for the README.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_manifest import generate  # this script's directory is on sys.path
from harness import CLI, Emulator, Run, best, run

STAT = """
import os, sys
def walk(d):
    for e in os.scandir(d):
        if e.is_dir(follow_symlinks=False):
            walk(e.path)
        else:
            os.stat(e.path)
walk(sys.argv[1])
"""
MD5 = """
import hashlib, os, sys
def walk(d):
    for e in os.scandir(d):
        if e.is_dir(follow_symlinks=False):
            walk(e.path)
        else:
            with open(e.path, "rb") as f:
                hashlib.md5(f.read()).hexdigest()
walk(sys.argv[1])
"""
PLAN = (*CLI, "plan", "--detailed-exitcode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="10 apps x 200 files, 3 runs, 50 apps in the memory case")
    parser.add_argument("--no-rsconnect", action="store_true")
    parser.add_argument("--no-apply", action="store_true")
    parser.add_argument("--no-rss", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.apps, args.files, args.runs = 10, 200, 3
    root = Path(tempfile.mkdtemp(prefix="connectfile-bench-plan-"))
    try:
        figures = measure(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(args, figures)


def measure(args: argparse.Namespace, root: Path) -> dict[str, float]:
    f: dict[str, float] = {}
    repo, small = root / "repo", root / "small"
    generate(repo, args.apps, args.files)
    generate(small, args.apps, max(5, args.files // 5))
    n = args.apps * args.files
    mib = sum(p.stat().st_size for p in (repo / "apps").rglob("*") if p.is_file()) / 2**20
    print(f"monorepo: {args.apps} apps x {args.files} files = {n} files, {mib:.0f} MiB; "
          f"{args.runs} runs each, median", flush=True)
    time.sleep(2.1)  # files younger than 2 s are never cached ("racy" rule)
    emu = Emulator(root / "emulator")
    with emu.running():
        env = emu.env()
        step("first apply")
        first = run([*CLI, "apply", "--auto-approve"], cwd=repo, env=env)
        if first.code != 0:
            raise SystemExit(f"the first apply exited {first.code}; see {emu.log}")
        f["first_apply"] = first.seconds
        emu.requests()
        after = run(PLAN, cwd=repo, env=env)
        sent = emu.requests()
        f["after_apply"], f["after_apply_requests"] = after.seconds, len(sent)
        # Per app: its content read; anything more (a manifest download) is what apply saves.
        f["after_apply_per_app"] = sum("/v1/content/" in r for r in sent)
        if after.code != 0:
            raise SystemExit(f"the plan after apply exited {after.code} (expected 0)")
        emu.requests()
        run(PLAN, cwd=repo, env=env)
        f["warm_requests"] = len(emu.requests())
        step("floors, warm and cold plans, interleaved (so each sees the same load)")
        commands: dict[str, Callable[[], Run]] = {
            "pass": lambda: run([sys.executable, "-c", "pass"], cwd=root),
            "stat": lambda: run([sys.executable, "-c", STAT, "apps"], cwd=repo),
            "md5": lambda: run([sys.executable, "-c", MD5, "apps"], cwd=repo),
            "warm": lambda: checked(run(PLAN, cwd=repo, env=env)),
            "cold": lambda: cold_plan(repo, env),
        }
        samples: dict[str, list[Run]] = {key: [] for key in commands}
        for _ in range(args.runs):
            for key, once in commands.items():
                samples[key].append(once())
        for key, runs in samples.items():
            f[key] = sorted(r.seconds for r in runs)[len(runs) // 2]
        f["warm_rss"] = max(r.rss_mib for r in samples["warm"])
        step("validate, files, manifest --check")
        f["validate"] = best([*CLI, "validate"], args.runs, cwd=repo, env=env).seconds
        f["files"] = best([*CLI, "files", "app000"], args.runs, cwd=repo, env=env).seconds
        run([*CLI, "manifest"], cwd=repo, env=env)
        f["manifest"] = best([*CLI, "manifest", "--check"], args.runs, cwd=repo,
                             env=env).seconds
        step("200 ms per GET")
        emu.set_delay(0.2)
        f["latency"] = best(PLAN, max(1, args.runs // 2), cwd=repo, env=env).seconds
        emu.set_delay(0)
        if not args.no_rss:
            step("peak RSS, 200 x 500 (or 50 x 500 with --quick)")
            f["rss_apps"] = 50 if args.quick else 200
            big = root / "big"
            generate(big, int(f["rss_apps"]), 500, sizes=(100,))
            time.sleep(2.1)
            run([*CLI, "plan"], cwd=big, env=env)
            f["rss"] = best([*CLI, "plan"], 1, cwd=big, env=env).rss_mib
    step("the tree with a fifth of the files, deployed to its own emulator")
    f["small"] = warm_plan_of(small, root / "emulator-small", args.runs)
    if not args.no_rsconnect:
        rsconnect = shutil.which("rsconnect") or str(Path(sys.executable).parent / "rsconnect")
        if Path(rsconnect).exists():
            step("rsconnect loop")
            f["rsconnect"] = rsconnect_loop(repo, rsconnect)
    if not args.no_apply:
        for parallelism in (1, 4):
            step(f"first apply at --parallelism {parallelism}, 100 ms per request")
            f[f"apply{parallelism}"] = first_apply(root, args.apps, parallelism)
    return f


def step(what: str) -> None:
    print(f"  ... {what}", file=sys.stderr, flush=True)


def checked(done: Run) -> Run:
    if done.code != 0:
        raise SystemExit(f"a warm no-change plan exited {done.code}")
    return done


def cold_plan(repo: Path, env: dict[str, str]) -> Run:
    shutil.rmtree(repo / ".connect" / "cache", ignore_errors=True)
    done = run(PLAN, cwd=repo, env=env)
    if done.code != 0:
        raise SystemExit(f"a cold no-change plan exited {done.code}")
    return done


def warm_plan_of(repo: Path, data_dir: Path, runs: int) -> float:
    with Emulator(data_dir).running() as emu:
        env = emu.env()
        if run([*CLI, "apply", "--auto-approve"], cwd=repo, env=env).code != 0:
            raise SystemExit(f"apply of {repo} failed; see {emu.log}")
        run(PLAN, cwd=repo, env=env)
        return best(PLAN, runs, cwd=repo, env=env).seconds


def rsconnect_loop(repo: Path, rsconnect: str) -> float:
    env = {**os.environ, "RSCONNECT_DISABLE_VERSION_CHECK": "1"}
    start = time.perf_counter()
    for app in sorted((repo / "apps").iterdir()):
        done = run([rsconnect, "write-manifest", "api", "--overwrite", str(app)], cwd=repo,
                   env=env)
        if done.code != 0:
            raise SystemExit(f"rsconnect write-manifest exited {done.code} for {app}")
    return time.perf_counter() - start


def first_apply(root: Path, apps: int, parallelism: int) -> float:
    """A first apply of `apps` 20-file apps against a fresh emulator holding requests 100 ms."""
    repo = root / f"apply{parallelism}"
    generate(repo, apps, 20)
    time.sleep(2.1)
    emu = Emulator(root / f"emulator-apply{parallelism}")
    emu.set_delay(0.1, method="*")
    with emu.running():
        done = run([*CLI, "apply", "--auto-approve", "--parallelism", str(parallelism)],
                   cwd=repo, env=emu.env())
    if done.code != 0:
        raise SystemExit(f"apply --parallelism {parallelism} exited {done.code}; see {emu.log}")
    return done.seconds


def report(args: argparse.Namespace, f: dict[str, float]) -> None:
    n = args.apps * args.files
    print()
    print(f"{'what':<46} {'seconds':>8} {'/ stat':>7} {'/ md5':>7} {'rsc /':>7}")

    def line(label: str, seconds: float) -> None:
        rsc = f"{f['rsconnect'] / seconds:6.1f}x" if "rsconnect" in f else "      -"
        print(f"{label:<46} {seconds:8.3f} {seconds / f['stat']:6.2f}x "
              f"{seconds / f['md5']:6.2f}x {rsc}")

    line("floor: python -c pass", f["pass"])
    line("floor: scandir + stat of every file", f["stat"])
    line("floor: read + md5 of every file", f["md5"])
    line("connectfile plan, warm (no change)", f["warm"])
    line("connectfile plan, cold (.connect/cache deleted)", f["cold"])
    line("connectfile validate", f["validate"])
    line("connectfile files app000", f["files"])
    line("connectfile manifest --check", f["manifest"])
    line("connectfile plan, warm, 200 ms per GET", f["latency"])
    line("connectfile plan right after the first apply", f["after_apply"])
    if "rsconnect" in f:
        line("rsconnect write-manifest api, every app", f["rsconnect"])
    print(f"first apply: {f['first_apply']:.2f} s")
    apps = args.apps
    print(f"requests: plan right after apply {f['after_apply_requests']:.0f} "
          f"({f['after_apply_per_app']:.0f} per-app), warm plan {f['warm_requests']:.0f} "
          f"({apps} apps; opening the target takes 2, preflight 1)")
    small_n = args.apps * max(5, args.files // 5)
    slope = (f["warm"] - f["small"]) / (n - small_n)
    fixed = f["warm"] - slope * n
    print(f"warm plan of {small_n} files {f['small']:.3f} s -> per-file slope "
          f"{slope * 1e6:.1f} us, fixed cost {fixed * 1000:.0f} ms")
    trips = (f["latency"] - f["warm"]) / 0.2
    print(f"200 ms per GET adds {f['latency'] - f['warm']:.2f} s = {trips:.1f} round trips")
    print(f"peak RSS of the warm plan: {f['warm_rss']:.0f} MiB")
    if "rss" in f:
        print(f"peak RSS of a warm plan of {f['rss_apps']:.0f} x 500: {f['rss']:.0f} MiB")
    speedup = f["apply1"] / f["apply4"] if "apply4" in f else None
    if speedup is not None:
        print(f"first apply of {apps} apps, 100 ms per request: --parallelism 1 "
              f"{f['apply1']:.1f} s, 4 {f['apply4']:.1f} s = {speedup:.2f}x")
    print()
    goals = [
        ("1 warm plan <= 2.5x scandir + stat", f["warm"] <= 2.5 * f["stat"]),
        ("1 cold plan <= 2x read + md5", f["cold"] <= 2 * f["md5"]),
        ("2 per-file slope <= 12 us", slope <= 12e-6),
        ("2 fixed cost <= 150 ms + one round trip", fixed <= 0.150 + 0.001),
        ("3 200 ms latency adds <= 2 round trips", trips <= 2.0),
        ("4 plan after apply: one request per app", f["after_apply_per_app"] <= apps),
        ("6 validate, files, manifest --check <= warm plan",
         max(f["validate"], f["files"], f["manifest"]) <= f["warm"]),
    ]
    if "rsconnect" in f:
        goals.insert(1, ("1 warm plan >= 60x faster than rsconnect",
                         f["rsconnect"] >= 60 * f["warm"]))
    if "rss" in f and f["rss_apps"] == 200:
        goals.append(("2 peak RSS of 200 x 500 warm plan <= 80 MiB", f["rss"] <= 80))
    if speedup is not None:
        goals.append(("4 apply --parallelism 4 >= 3.5x faster than 1", speedup >= 3.5))
    for text, met in goals:
        print(f"goal {text}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

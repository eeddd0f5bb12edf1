"""Measure nd-lsp: CLI start-up and throughput, server latencies, memory, against floors and jedi-ls.

    python benchmarks/run.py [--quick] [--json FILE] [--skip-server]

Every figure is measured in this run on this machine, and every ratio compares two figures of the same
run. Times are milliseconds unless a key ends in _s; latencies are {p50, p95, p99}; other times are
medians. Child processes run with their bytecode cached in a temporary PYTHONPYCACHEPREFIX (after one
warm-up run), as an installed package would, so start-up figures do not include compiling the sources.
Wall-clock times on a busy machine include waiting for a CPU, so the CPU time of the corpus check and of
the parse floor is reported next to them (`*_cpu_s`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from lsp_client import LspProcess, Received, ServerGone, end_position, position_of  # noqa: E402
from make_corpus import EXAMPLES, count_lines, grow_plugin, make_corpus, plugin_language  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Mode:
    repeats: int  # whole-process timings
    keystrokes: int  # didChange samples per language
    requests: int  # completion/hover samples per position
    corpus_runs: int


QUICK = Mode(repeats=3, keystrokes=25, requests=12, corpus_runs=2)
FULL = Mode(repeats=15, keystrokes=160, requests=100, corpus_runs=3)

GOALS: dict[str, tuple[str, float]] = {
    "check_overhead_ms": ("<=", 60),
    "check_vs_parse_floor": ("<=", 2.0),
    "diagnostics_ms.p99": ("<=", 30),
    "diagnostics_ms_go.p99": ("<=", 30),
    "diagnostics_ms_python.p99": ("<=", 30),
    "completion_ms.p99": ("<=", 20),
    "completion_ms_go.p99": ("<=", 20),
    "completion_ms_python.p99": ("<=", 20),
    "hover_ms.p99": ("<=", 20),
    "hover_ms_go.p99": ("<=", 20),
    "hover_ms_python.p99": ("<=", 20),
    "initialize_vs_jedi_ls": ("<=", 1.0),
    "rss_mb": ("<=", 120),
    "completion_vs_jedi_ls": ("<=", 1.0),
    "check_imports_lsp_libraries": ("==", False),
    "check_rust_go_imports_jedi": ("==", False),
}

# What a user types in the middle of each 3,000-line plugin, one keystroke per didChange.
TYPING = {
    "rust": "\nfn typed_helper(key: &str) -> Option<Vec<u8>> {\n    kvstore::get(key).ok().flatten()\n}\n",
    "go": "\nfunc typedHelper(key string) {\n\t_, _ = host.KVStoreGet(key)\n\tscheduler.Register(&refresher{})\n}\n",
    "python": '\ndef typed_helper(key):\n    return _call(_kvstore_setwithttl, {"key": key, "ttlSeconds": 5})\n',
}
# Probes appended for completion: the text, then the marker after which the cursor sits.
COMPLETION_PROBES = {
    "rust": ("\nfn typed_probe() {\n    kvstore::\n}\nnd_pdk::register_\n", ("kvstore::", "nd_pdk::register_")),
    "go": ("\nfunc typedProbe() {\n\thost.\n}\n", ("\thost.",)),
    # The second Python position is ordinary Python (the server hands it to jedi), where jedi-ls has work too.
    "python": (
        '\n@extism.import_fn("extism:host/user", "")\ndef _probe(offset: int) -> int: ...\n\n_probe_json = json.\n',
        ('user", "', "= json."),
    ),
}
# Hover: tokens of the example plugins (the cursor goes one character into the needle's last word).
HOVER_NEEDLES = {
    "rust": ("kvstore::get", "register_metadata_artist_biography", "impl ArtistBiographyProvider"),
    "go": ("host.KVStoreDeleteByPrefix", "scheduler.Register", "host.SchedulerScheduleRecurring"),
    "python": ('"kvstore_setwithttl"', '"subsonicapi_call"', "def nd_get_album_image"),
}
EXAMPLE_OF = {"rust": "artist-info-rs", "go": "now-playing-go", "python": "album-art-py"}


# ---- statistics and processes


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        if not ordered:
            return float("nan")
        k = (len(ordered) - 1) * q
        low = int(k)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (k - low)

    return {"p50": round(at(0.50), 2), "p95": round(at(0.95), 2), "p99": round(at(0.99), 2), "n": len(ordered)}


def bench_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["NO_COLOR"] = "1"
    return env


def tool(name: str) -> str:
    """An installed console script next to this interpreter (not a pyenv shim, which adds its own start-up)."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return found


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float
    returncode: int


def run_timed(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(list(cmd), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, done.returncode)


def median_ms(cmd: Sequence[str], env: dict[str, str], repeats: int) -> float:
    warm_up = run_timed(cmd, env)  # bytecode cache, file system cache
    if warm_up.returncode > 1:  # 0 and 1 are nd-lsp check's "clean" and "findings"; anything else is a failure
        raise RuntimeError(f"{' '.join(cmd)} failed with exit status {warm_up.returncode}")
    return round(statistics.median(run_timed(cmd, env).wall_s * 1000 for _ in range(repeats)), 1)


# ---- the check side


def largest_example() -> Path:
    def lines(folder: Path) -> int:
        return count_lines(folder)

    return max((p for p in EXAMPLES.iterdir() if p.is_dir()), key=lines)


FORBIDDEN_PROBE = """
import sys
from nd_lsp.cli import main
try:
    main(["check", "--format", "json", *sys.argv[1:]])
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"pygls", "lsprotocol", "jedi"})
sys.stderr.write("LOADED=" + ",".join(loaded) + "\\n")
"""


def loaded_libraries(plugin: Path, env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", FORBIDDEN_PROBE, str(plugin)], env=env, capture_output=True, text=True, check=False
    )
    for line in done.stderr.splitlines():
        if line.startswith("LOADED="):
            return {name for name in line[len("LOADED=") :].split(",") if name}
    raise RuntimeError(f"the import probe failed: {done.stderr[-2000:]}")


def measure_check(mode: Mode, env: dict[str, str], work: Path, results: dict[str, Any]) -> None:
    nd_lsp = tool("nd-lsp")
    results["python_startup_ms"] = median_ms([sys.executable, "-c", "pass"], env, mode.repeats)
    plugin = largest_example()
    results["check_one_plugin"] = plugin.name
    results["check_one_plugin_ms"] = median_ms([nd_lsp, "check", str(plugin)], env, mode.repeats)
    results["check_overhead_ms"] = round(results["check_one_plugin_ms"] - results["python_startup_ms"], 1)

    loaded = set()
    for language in ("rust", "go"):
        loaded |= loaded_libraries(EXAMPLES / EXAMPLE_OF[language], env)
    results["check_rust_go_imports_jedi"] = "jedi" in loaded
    loaded |= loaded_libraries(EXAMPLES / EXAMPLE_OF["python"], env)
    results["check_imports_lsp_libraries"] = bool(loaded & {"pygls", "lsprotocol"})

    corpus = work / "corpus"
    results["corpus_lines"] = make_corpus(corpus, plugins=200, min_lines=100_000)
    results["corpus_plugins"] = 200
    check_runs: list[Timed] = []
    floor_runs: list[Timed] = []
    for _ in range(mode.corpus_runs):  # alternated, so a change in machine load hits both alike
        check_runs.append(run_timed([nd_lsp, "check", str(corpus)], env))
        floor_runs.append(run_timed([sys.executable, str(HERE / "parse_floor.py"), str(corpus)], env))
    if any(r.returncode not in (0, 1) for r in check_runs):
        results["check_corpus_error"] = f"nd-lsp check exited with {check_runs[0].returncode}"
    results["check_corpus_s"] = round(statistics.median(r.wall_s for r in check_runs), 2)
    results["check_corpus_cpu_s"] = round(statistics.median(r.cpu_s for r in check_runs), 2)
    results["parse_floor_s"] = round(statistics.median(r.wall_s for r in floor_runs), 2)
    results["parse_floor_cpu_s"] = round(statistics.median(r.cpu_s for r in floor_runs), 2)
    results["check_vs_parse_floor"] = round(results["check_corpus_s"] / results["parse_floor_s"], 2)
    results["check_vs_parse_floor_cpu"] = round(results["check_corpus_cpu_s"] / results["parse_floor_cpu_s"], 2)
    results["check_vs_parse_floor_cpu_by_language"] = floor_ratios_by_language(nd_lsp, corpus, mode, env)


def floor_ratios_by_language(nd_lsp: str, corpus: Path, mode: Mode, env: dict[str, str]) -> dict[str, float]:
    """For the plugins of each language of the corpus: CPU time of `nd-lsp check --jobs 1` over CPU time of
    the parse floor (each a whole process, start-up included): where the check spends its time."""
    by_language: dict[str, list[str]] = {}
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        template = plugin_language(folder)
        if template is not None:
            by_language.setdefault(template.language, []).append(str(folder))
    ratios: dict[str, float] = {}
    for language, folders in sorted(by_language.items()):
        check_cpu = statistics.median(
            run_timed([nd_lsp, "check", "--jobs", "1", *folders], env).cpu_s for _ in range(mode.corpus_runs)
        )
        floor_cpu = statistics.median(
            run_timed([sys.executable, str(HERE / "parse_floor.py"), *folders], env).cpu_s
            for _ in range(mode.corpus_runs)
        )
        ratios[language] = round(check_cpu / floor_cpu, 2)
    return ratios


# ---- the server side


def server(env: dict[str, str], log: Path | None = None) -> LspProcess:
    return LspProcess([tool("nd-lsp"), "serve"], env=env, stderr_path=log)


def jedi_server(env: dict[str, str]) -> LspProcess:
    return LspProcess([jedi_ls_command()], env=env)


def jedi_ls_command() -> str:
    try:
        return tool("jedi-language-server")
    except SystemExit:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jedi-language-server"], check=True)
        return tool("jedi-language-server")


def big_plugins(work: Path) -> dict[str, Path]:
    """The three example plugins grown to 3,000 lines; returns each one's main source file."""
    mains = {}
    for language, name in EXAMPLE_OF.items():
        template = plugin_language(EXAMPLES / name)
        assert template is not None
        dest = work / f"big-{language}"
        if not dest.exists():
            grow_plugin(template, dest, 3000, seed=11)
        mains[language] = dest / template.main
    return mains


def typing_latencies(client: LspProcess, uri: str, text: str, typed: str, count: int) -> tuple[list[float], str]:
    """Type `typed` (repeated as needed) between two items in the middle of the document, one character
    per didChange, as a user adding a helper function does.

    Each sample is the time from sending a keystroke to the publishDiagnostics of that version.
    """
    samples: list[float] = []
    version = 1
    cursor = text.find("\n\n", len(text) // 2) + 1  # the blank line between two items
    while len(samples) < count:
        for char in typed:
            if len(samples) >= count:
                break
            version += 1
            at = position_of(text, cursor)
            mark = client.mark()
            sent = time.perf_counter()
            client.change(uri, version, [{"range": {"start": at, "end": at}, "text": char}])
            got = client.wait_diagnostics(uri, version, timeout=60, start=mark)
            samples.append((got.at - sent) * 1000)
            text = text[:cursor] + char + text[cursor:]
            cursor += 1
    return samples, text


def request_latencies(
    client: LspProcess, method: str, uri: str, positions: Sequence[dict[str, int]], count: int
) -> tuple[list[float], list[Any]]:
    samples: list[float] = []
    answers: list[Any] = []
    for position in positions:
        params = {"textDocument": {"uri": uri}, "position": position}
        for _ in range(2):  # warm-up, not counted
            client.request(method, params, timeout=60)
        for _ in range(count):
            sent = time.perf_counter()
            got = client.wait_for(is_response_to(client.request_nowait(method, params)), 60)
            samples.append((got.at - sent) * 1000)
        answers.append(got.message.get("result"))
    return samples, answers


def is_response_to(request_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message.get("id") == request_id and "method" not in message


def completion_positions(text: str, language: str) -> tuple[str, list[dict[str, int]]]:
    probe, markers = COMPLETION_PROBES[language]
    full = text + probe
    base = len(text)
    return full, [position_of(full, base + probe.index(m) + len(m)) for m in markers]


def hover_positions(text: str, language: str) -> list[dict[str, int]]:
    positions = []
    for needle in HOVER_NEEDLES[language]:
        index = text.find(needle)
        if index < 0:
            continue
        word_start = max(needle.rfind("."), needle.rfind(":"), needle.rfind(" "), needle.rfind('"', 0, -1))
        positions.append(position_of(text, index + word_start + 2))
    return positions


def count_items(answer: Any) -> int:
    if isinstance(answer, dict):
        return len(answer.get("items") or [])
    return len(answer or [])


def measure_language(
    language: str, main: Path, mode: Mode, env: dict[str, str], work: Path, results: dict[str, Any]
) -> None:
    suffix = "" if language == "rust" else f"_{language}"
    log = work / f"server-{language}.log"
    client = server(env, log)
    try:
        client.initialize(main.parent, {"debounceMs": 0})
        text = main.read_text(encoding="utf-8")
        uri = client.open(main, text)
        client.wait_diagnostics(uri, 1, timeout=120)
        results[f"lines_{language}"] = text.count("\n")
        cpu_before = process_cpu_s(client.pid)
        samples, text = typing_latencies(client, uri, text, TYPING[language], mode.keystrokes)
        results[f"diagnostics_ms{suffix}"] = percentiles(samples)
        # CPU the server spent per keystroke: steadier than latency when other processes share the CPUs.
        cpu_ms = (process_cpu_s(client.pid) - cpu_before) * 1000 / len(samples)
        results[f"diagnostics_cpu_ms_per_keystroke{suffix}"] = round(cpu_ms, 1)

        probed, positions = completion_positions(text, language)
        version = 10_000
        at = end_position(text)
        client.change(uri, version, [{"range": {"start": at, "end": at}, "text": probed[len(text) :]}])
        client.wait_diagnostics(uri, version, timeout=60)
        samples, answers = request_latencies(client, "textDocument/completion", uri, positions, mode.requests)
        results[f"completion_ms{suffix}"] = percentiles(samples)
        results[f"completion_items{suffix}"] = [count_items(a) for a in answers]
        samples, answers = request_latencies(
            client, "textDocument/hover", uri, hover_positions(probed, language), mode.requests
        )
        results[f"hover_ms{suffix}"] = percentiles(samples)
        results[f"hover_answered{suffix}"] = [a is not None for a in answers]
        if language == "python":
            results["_python_probe"] = (probed, positions)
    finally:
        client.close()


def measure_initialize(mode: Mode, env: dict[str, str], root: Path, work: Path, results: dict[str, Any]) -> None:
    log = work / "server-initialize.log"

    def initialize_ms(start: Callable[[], LspProcess]) -> float:
        client = start()
        try:
            got: Received = client.initialize(root, {"debounceMs": 0})
            return (got.at - client.started_at) * 1000
        except ServerGone as exc:
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise ServerGone(f"{exc}; server log: {tail}") from exc
        finally:
            client.close()

    initialize_ms(lambda: server(env, log))  # warm-ups: bytecode caches
    initialize_ms(lambda: jedi_server(env))
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(mode.repeats):  # alternated, so a change in machine load hits both alike
        ours.append(initialize_ms(lambda: server(env, log)))
        theirs.append(initialize_ms(lambda: jedi_server(env)))
    results["initialize_ms"] = round(statistics.median(ours), 1)
    results["initialize_ms_jedi_ls"] = round(statistics.median(theirs), 1)
    results["initialize_vs_jedi_ls"] = round(results["initialize_ms"] / results["initialize_ms_jedi_ls"], 2)


def measure_jedi_completion(main: Path, mode: Mode, env: dict[str, str], results: dict[str, Any]) -> None:
    probed, positions = results.pop("_python_probe")
    client = jedi_server(env)
    try:
        client.initialize(main.parent)
        uri = client.open(main, probed)
        samples, answers = request_latencies(client, "textDocument/completion", uri, positions, mode.requests)
    finally:
        client.close()
    results["completion_ms_jedi_ls"] = percentiles(samples)
    results["completion_items_jedi_ls"] = [count_items(a) for a in answers]
    ours = results["completion_ms_python"]["p50"]
    results["completion_vs_jedi_ls"] = round(ours / max(results["completion_ms_jedi_ls"]["p50"], 0.01), 2)


def measure_rss(env: dict[str, str], corpus: Path, results: dict[str, Any]) -> None:
    """Resident memory of one server after opening the main file of 20 corpus plugins of every language."""
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())[:20]
    client = server(env)
    try:
        client.initialize(corpus, {"debounceMs": 0})
        for folder in folders:
            template = plugin_language(folder)
            if template is None:
                continue
            uri = client.open(folder / template.main)
            client.wait_diagnostics(uri, 1, timeout=120)
        results["rss_mb"] = round(_rss_kb(client.pid) / 1024, 1)
        results["rss_plugins"] = len(folders)
    finally:
        client.close()


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def measure_server(mode: Mode, env: dict[str, str], work: Path, results: dict[str, Any]) -> None:
    mains = big_plugins(work)
    for language, main in mains.items():
        measure = functools.partial(measure_language, language, main, mode, env, work, results)
        section(f"server {language}", results, measure)
    if "_python_probe" in results:
        section("jedi-ls completion", results, lambda: measure_jedi_completion(mains["python"], mode, env, results))
    section("initialize", results, lambda: measure_initialize(mode, env, mains["python"].parent, work, results))
    corpus = work / "corpus"
    if not corpus.exists():
        make_corpus(corpus, plugins=200, min_lines=100_000)
    section("rss", results, lambda: measure_rss(env, corpus, results))


def section(name: str, results: dict[str, Any], measure: Callable[[], None]) -> None:
    """Run one measurement; a failure is recorded in the results (and the run goes on to the next)."""
    started = time.perf_counter()
    try:
        measure()
    except Exception as exc:
        results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
    print(f"[{time.perf_counter() - started:6.1f} s] {name}", file=sys.stderr, flush=True)


# ---- report


def lookup(results: dict[str, Any], key: str) -> Any:
    value: Any = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def goal_status(results: dict[str, Any]) -> dict[str, bool]:
    status = {}
    for key, (op, limit) in GOALS.items():
        value = lookup(results, key)
        if value is None:
            continue
        status[key] = value <= limit if op == "<=" else value == limit
    return status


def table(results: dict[str, Any]) -> str:
    status = goal_status(results)
    rows = []
    for key, value in results.items():
        if key == "goals":
            continue
        if isinstance(value, dict) and "p50" in value:
            shown = f"p50 {value['p50']:.1f}  p95 {value['p95']:.1f}  p99 {value['p99']:.1f}  (n={value['n']})"
            goal_key = f"{key}.p99"
        else:
            shown = str(value)
            goal_key = key
        if goal_key in GOALS:
            op, limit = GOALS[goal_key]
            mark = "ok" if status.get(goal_key) else "MISSED"
            shown += f"   [goal {'p99 ' if goal_key.endswith('.p99') else ''}{op} {limit}: {mark}]"
        rows.append(f"{key:32} {shown}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark nd-lsp (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="fewer samples; finishes in under 2 minutes")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--skip-server", action="store_true", help="only the `nd-lsp check` measurements")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "cpus": os.cpu_count()}
    results["load_average_at_start"] = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nd-lsp-bench-") as tmp:
        work = Path(tmp)
        env = bench_env(work / "pycache")
        section("check", results, lambda: measure_check(mode, env, work, results))
        if not args.skip_server:
            measure_server(mode, env, work, results)
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    results["benchmark_s"] = round(time.perf_counter() - started, 1)
    results["goals"] = goal_status(results)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

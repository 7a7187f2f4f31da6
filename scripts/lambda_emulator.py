"""Build McpFunction for x86_64 and run it under the Lambda Runtime Interface Emulator, without Docker.

``sam local`` needs Docker; this runs the same artifact ``sam build`` makes,
the way Lambda does: the RIE binary shipped in the aws-sam-cli wheel drives
``python3.13 -m awslambdaric app.handler``, with the function and the layer
on the path and nothing else but what the python3.13 runtime provides
(awslambdaric and boto3). The interpreter runs with ``-S``, so no
site-packages leak in: a dependency missing from the layer fails here as it
would on Lambda. AWS is the demo moto server (aws_mcp_local.demo) on
127.0.0.1.

Used by ``make build-x86``, ``make invoke EVENT=...`` and tests/lambda::

    .venv/bin/python scripts/lambda_emulator.py build [--force]
    .venv/bin/python scripts/lambda_emulator.py invoke events/modern-server-discover.json [...]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
BUILD_DIR: Final = REPO / ".aws-sam" / "build-x86_64"
REPORT_FILE: Final = REPO / ".aws-sam" / "emulator-report.json"
ARCHITECTURE: Final = "x86_64"
FUNCTION: Final = "McpFunction"
LAYER: Final = "SharedLayer"
HANDLER: Final = "app.handler"
# What the python3.13 managed runtime itself provides on sys.path (/var/runtime).
RUNTIME_DISTRIBUTIONS: Final = ("awslambdaric", "boto3")
# Inputs of the build: a change to any of them means building again.
BUILD_INPUTS: Final = (
    "template.yaml",
    "samconfig.toml",
    "layers/shared",
    "functions/mcp",
)
SAM_BUILD_TIMEOUT: Final = 900.0
START_TIMEOUT: Final = 30.0
INVOKE_TIMEOUT: Final = 60.0
_INIT_REPORT: Final = re.compile(r"INIT REPORT\(.*?durationMs: (?P<ms>[0-9.]+)")
# The RIE's own measure of each invocation, from the runtime's /next to its response.
_INVOKE_DONE: Final = re.compile(r"INVOKE RTDONE\(.*?duration: (?P<ms>[0-9.]+)ms")
_PR_SET_PDEATHSIG: Final = 1


class EmulatorError(RuntimeError):
    """The build or the emulator failed; the message says why and where the logs are."""


# -- interpreters and tools -------------------------------------------------------------------


def _is_python313(candidate: str) -> bool:
    try:
        done = subprocess.run(  # noqa: S603 - a candidate interpreter, probed with a fixed snippet
            [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_python313() -> str:
    """A working python3.13 (the Lambda runtime's version): $AWS_MCP_PY313, PATH, pyenv, or this one."""
    candidates = [os.environ.get("AWS_MCP_PY313"), shutil.which("python3.13")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(pyenv_root.glob("versions/3.13*/bin/python3.13"), reverse=True)]
    candidates.append(sys.executable)
    for candidate in candidates:
        if candidate and _is_python313(candidate):
            return candidate
    raise EmulatorError("no working python3.13 (tried $AWS_MCP_PY313, PATH, pyenv): install Python 3.13")


def _venv_tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise EmulatorError(f"{name} not found next to {sys.executable} or on PATH: run `make install`")
    return found


def rie_binary() -> Path:
    """The Runtime Interface Emulator that the aws-sam-cli wheel ships (samcli/local/rapid)."""
    import samcli

    rie = Path(samcli.__file__).parent / "local" / "rapid" / f"aws-lambda-rie-{ARCHITECTURE}"
    if not rie.exists():
        raise EmulatorError(f"{rie} is missing: this aws-sam-cli does not ship the emulator")
    return rie


# -- build ------------------------------------------------------------------------------------


def _input_files() -> Iterator[Path]:
    for entry in BUILD_INPUTS:
        path = REPO / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                    yield file


def source_digest() -> str:
    """Hash of everything the x86_64 build is made from (and of the SAM version that makes it)."""
    digest = hashlib.sha256()
    digest.update(f"arch={ARCHITECTURE};sam={importlib.metadata.version('aws-sam-cli')}\n".encode())
    for file in _input_files():
        digest.update(str(file.relative_to(REPO)).encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class Build:
    directory: Path
    digest: str
    # Seconds `sam build` took, when this call ran it (None: the previous build was still current).
    seconds: float | None

    @property
    def function_dir(self) -> Path:
        return self.directory / FUNCTION

    @property
    def layer_dir(self) -> Path:
        return self.directory / LAYER / "python"


def _stamp(directory: Path) -> Path:
    return directory / ".source-digest"


def ensure_build(*, force: bool = False, log: IO[str] = sys.stderr) -> Build:
    """Build the x86_64 function and layer into .aws-sam/build-x86_64 unless the last build is current."""
    BUILD_DIR.parent.mkdir(parents=True, exist_ok=True)
    # One build at a time (two test runs, or make and a test run): sam build rewrites the directory.
    with (BUILD_DIR.parent / f"{BUILD_DIR.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_build(force=force, log=log)


def _ensure_build(*, force: bool, log: IO[str]) -> Build:
    digest = source_digest()
    stamp = _stamp(BUILD_DIR)
    current = (
        stamp.exists()
        and stamp.read_text(encoding="utf-8").strip() == digest
        and (BUILD_DIR / FUNCTION / "app.py").exists()
        and (BUILD_DIR / LAYER / "python" / "aws_mcp").is_dir()
    )
    if current and not force:
        print(f"{BUILD_DIR.relative_to(REPO)} is current (sources unchanged)", file=log)
        return Build(BUILD_DIR, digest, None)

    python = find_python313()
    env = {
        **os.environ,
        # SAM's python builder looks for python3.13 on PATH; the layer Makefile takes LAYER_PYTHON.
        "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "LAYER_PYTHON": python,
        "AWS_MCP_LAYER_ARCH": ARCHITECTURE,
        "SAM_CLI_TELEMETRY": "0",
    }
    command = [
        _venv_tool("sam"),
        "build",
        "--build-dir",
        str(BUILD_DIR),
        "--parameter-overrides",
        f"Architecture={ARCHITECTURE}",
    ]
    print(f"$ AWS_MCP_LAYER_ARCH={ARCHITECTURE} {' '.join(command)}", file=log, flush=True)
    stamp.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 - fixed command line
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SAM_BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise EmulatorError(f"sam build did not finish within {SAM_BUILD_TIMEOUT:.0f} s") from err
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise EmulatorError(f"sam build failed ({done.returncode}):\n{done.stdout[-6000:]}")
    stamp.write_text(digest + "\n", encoding="utf-8")
    print(f"sam build ({ARCHITECTURE}) took {seconds:.1f} s", file=log)
    return Build(BUILD_DIR, digest, seconds)


def layer_size(layer_root: Path) -> dict[str, int]:
    """Bytes of the layer unpacked, and zipped the way SAM packages it (deflate)."""
    files = [p for p in sorted(layer_root.rglob("*")) if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(layer_root))
        zipped = handle.tell()
    return {"files": len(files), "unzipped_bytes": unzipped, "zipped_bytes": zipped}


# -- the runtime's own packages ---------------------------------------------------------------


def _requirement_names(distribution: str) -> list[str]:
    from packaging.requirements import Requirement

    names = []
    for line in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.append(requirement.name)
    return names


def runtime_site(destination: Path) -> Path:
    """A directory holding only what the Lambda runtime provides: awslambdaric, boto3 and their dependencies.

    Links to this interpreter's installed copies (so it must be Python 3.13
    too: awslambdaric has a native extension).
    """
    if sys.version_info[:2] != (3, 13):
        raise EmulatorError(f"run this with the project's Python 3.13 venv, not {sys.version.split()[0]}")
    destination.mkdir(parents=True, exist_ok=True)
    pending, seen = list(RUNTIME_DISTRIBUTIONS), set()
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        distribution = importlib.metadata.distribution(name)
        root = Path(str(distribution.locate_file("")))
        for top in sorted({Path(str(f)).parts[0] for f in distribution.files or []}):
            if top in ("..", "__pycache__") or top.startswith("."):
                continue
            link = destination / top
            if not link.exists():
                link.symlink_to(root / top)
        pending.extend(_requirement_names(name))
    return destination


# -- the emulator -----------------------------------------------------------------------------


def die_with_parent() -> None:
    """A Popen preexec_fn: the child gets SIGTERM when the process that started it dies (Linux).

    So an emulator or server started by a killed test or benchmark run stops by itself.
    """
    import ctypes

    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def function_environment(
    build: Build, runtime: Path, aws_endpoint: str, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment Lambda gives McpFunction, with AWS pointed at ``aws_endpoint``.

    Settings as template.yaml sets them (names from aws_mcp.config.ENV), with
    ReadWrite so that every tool exists, and the demo's table names.
    """
    from aws_mcp.config import ENV
    from aws_mcp_local.demo import CONFIRMATION_SECRET, DEMO_KEY, DEMO_REGIONS, FLEET_QUEUE, table_names
    from aws_mcp_local.demo.estate.accounts import HOME_ACCOUNT_ID

    tables = table_names()
    region = DEMO_REGIONS[0]
    return {
        # The runtime's own variables.
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "25",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "emulator",
        "LAMBDA_TASK_ROOT": str(build.function_dir),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": DEMO_KEY,
        "AWS_SECRET_ACCESS_KEY": DEMO_KEY,
        "AWS_ENDPOINT_URL": aws_endpoint,
        # /var/task, then /opt/python (the layer), then /var/runtime: Lambda's order.
        "PYTHONPATH": os.pathsep.join([str(build.function_dir), str(build.layer_dir), str(runtime)]),
        # Lambda's file system is read-only: never let a local run write the .pyc the build should ship.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        # The function's settings, as template.yaml passes them.
        ENV.ACCESS_MODE: "ReadWrite",
        ENV.ALLOWED_ORIGINS: "",
        ENV.BREAKER_TABLE: tables["breaker"],
        ENV.IDEMPOTENCY_TABLE: tables["idempotency"],
        ENV.AUDIT_TABLE: tables["audit"],
        ENV.COST_CACHE_TABLE: tables["cost_cache"],
        ENV.FLEET_TABLE: tables["fleet"],
        # The demo's queue (moto's SQS takes a queue by the account and name in its URL's path).
        ENV.FLEET_QUEUE_URL: f"{aws_endpoint}/{HOME_ACCOUNT_ID}/{FLEET_QUEUE}",
        # No health function here: integrations_test runs its check in the function itself.
        ENV.INTEGRATIONS_TABLE: tables["integrations"],
        ENV.CONFIRMATION_SECRET: CONFIRMATION_SECRET,
        # template.yaml: read-only records reach the table through the log subscription, not a write.
        ENV.AUDIT_TABLE_WRITES: "mutations",
        ENV.STAGE: "emulator",
        **(overrides or {}),
    }


class Emulator:
    """The RIE and the function behind it, on free 127.0.0.1 ports; as a context manager, always stopped."""

    def __init__(self, python: str, environment: Mapping[str, str], log_path: Path) -> None:
        self._python = python
        self._environment = dict(environment)
        self.log_path = log_path
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def environment(self) -> dict[str, str]:
        return dict(self._environment)

    @property
    def python(self) -> str:
        return self._python

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"

    def start(self) -> None:
        self.port = free_port()
        runtime_api = free_port()
        command = [
            str(rie_binary()),
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{runtime_api}",
            # -S: no site-packages at all; the function sees only PYTHONPATH and the standard library.
            self._python,
            "-S",
            "-m",
            "awslambdaric",
            HANDLER,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - fixed command line
            command,
            # Lambda starts the runtime in /var/task; `-m` puts the working directory on sys.path.
            cwd=self._environment.get("LAMBDA_TASK_ROOT"),
            env=self._environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so stop() ends the emulator and the runtime it started.
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only, no locks taken
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(f"the emulator exited ({self._process.returncode}):\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise EmulatorError(f"the emulator did not listen within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def invoke(self, event: Mapping[str, Any], timeout: float = INVOKE_TIMEOUT) -> dict[str, Any]:
        """POST one event; return what the handler returned (a Lambda proxy response)."""
        if self._process is None or self._process.poll() is not None:
            raise EmulatorError(f"the emulator is not running:\n{self.log_tail()}")
        request = urllib.request.Request(  # noqa: S310 - a 127.0.0.1 URL we built
            self.url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                raw = answer.read()
        except (urllib.error.URLError, TimeoutError) as err:
            raise EmulatorError(f"invoking the emulator failed: {err}\n{self.log_tail()}") from err
        response = json.loads(raw)
        if not isinstance(response, dict) or "statusCode" not in response:
            raise EmulatorError(f"the function failed: {raw[:2000]!r}\n{self.log_tail()}")
        return response

    def log_text(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def init_duration_ms(self) -> float | None:
        """The runtime's init (cold start) time from the emulator's INIT REPORT line, once it has run."""
        found = _INIT_REPORT.search(self.log_text())
        return float(found["ms"]) if found else None

    def invoke_durations_ms(self) -> list[float]:
        """The RIE's duration of each invocation so far (server side, without the init), in order."""
        return [float(m["ms"]) for m in _INVOKE_DONE.finditer(self.log_text())]

    def runtime_pid(self) -> int | None:
        """The pid of the function's runtime (python -m awslambdaric) under the RIE, once init started."""
        if self._process is None:
            return None
        # The RIE is a Go program: any of its threads may have started the runtime.
        children: list[str] = []
        for task in Path(f"/proc/{self._process.pid}/task").glob("*"):
            with suppress(OSError):
                children += (task / "children").read_text(encoding="ascii").split()
        return int(children[0]) if children else None

    def peak_rss_kib(self) -> int | None:
        """Peak resident memory of the runtime process so far (VmHWM), in KiB; None off Linux."""
        pid = self.runtime_pid()
        if pid is None:
            return None
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Emulator:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class Running:
    emulator: Emulator
    # Demo instance ids by region, in aws_mcp_local.demo.FLEET order.
    instance_ids: dict[str, list[str]]
    aws_endpoint: str

    def instance_id(self, machine: str) -> str:
        """The id of a demo machine, by its name in aws_mcp_local.demo.FLEET."""
        from aws_mcp_local.demo import FLEET

        for region, ids in self.instance_ids.items():
            names = [m.name for m in FLEET if m.region == region]
            if machine in names:
                return ids[names.index(machine)]
        raise KeyError(machine)


@contextmanager
def demo_aws() -> Iterator[tuple[str, dict[str, list[str]]]]:
    """moto on 127.0.0.1 seeded with the demo fleet: its endpoint and the demo instance ids."""
    from aws_mcp_local.demo import running_demo

    with running_demo() as aws:
        yield aws.endpoint_url, aws.instance_ids


@contextmanager
def running(build: Build, work_dir: Path, overrides: Mapping[str, str] | None = None) -> Iterator[Running]:
    """The demo AWS and the emulator with the built function, both stopped on exit."""
    with ExitStack() as stack:
        endpoint, instance_ids = stack.enter_context(demo_aws())
        runtime = runtime_site(work_dir / "runtime")
        environment = function_environment(build, runtime, endpoint, overrides)
        emulator = stack.enter_context(Emulator(find_python313(), environment, work_dir / "emulator.log"))
        yield Running(emulator, instance_ids, endpoint)


def write_report(**facts: Any) -> None:
    """Merge ``facts`` into .aws-sam/emulator-report.json (figures: build time, init time, layer size)."""
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = json.loads(REPORT_FILE.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        report = {}
    report.update(facts)
    REPORT_FILE.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- command line -----------------------------------------------------------------------------


def _build_command(args: argparse.Namespace) -> int:
    build = ensure_build(force=args.force)
    size = layer_size(build.directory / LAYER)
    print(
        f"{LAYER}: {size['files']} files, {size['unzipped_bytes'] / 1e6:.1f} MB unzipped, "
        f"{size['zipped_bytes'] / 1e6:.1f} MB zipped"
    )
    facts: dict[str, Any] = {"layer_x86_64": size}
    if build.seconds is not None:
        facts["sam_build_x86_64_seconds"] = round(build.seconds, 1)
    write_report(**facts)
    return 0


def _invoke_command(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import make_events

    expected = make_events.load_expected()["events"]
    build = ensure_build()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="aws-mcp-emulator-") as work, running(build, Path(work)) as live:
        for name in args.events:
            path = Path(name)
            event = json.loads(path.read_text(encoding="utf-8"))
            started = time.monotonic()
            response = live.emulator.invoke(event)
            elapsed_ms = (time.monotonic() - started) * 1000
            print(f"== {path} ({elapsed_ms:.0f} ms)")
            print(json.dumps(response, indent=2))
            with suppress(ValueError):
                print(json.dumps(json.loads(response.get("body") or "null"), indent=2))
            expectation = expected.get(path.name)
            if expectation is None:
                print("(no expectation in events/expected.json)")
                continue
            problems = make_events.check(expectation, event, response)
            failed += bool(problems)
            print("as expected" if not problems else "NOT as expected:\n  " + "\n  ".join(problems))
        init = live.emulator.init_duration_ms()
        print(f"INIT duration: {init} ms" if init is not None else "no INIT REPORT in the emulator log")
        if args.verbose:
            print(live.emulator.log_text())
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build and run McpFunction under the Lambda emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="sam build for x86_64 into .aws-sam/build-x86_64")
    build.add_argument("--force", action="store_true", help="build even when the sources are unchanged")
    build.set_defaults(run=_build_command)
    invoke = commands.add_parser("invoke", help="invoke events (building first if needed)")
    invoke.add_argument("events", nargs="+", help="event files, such as events/modern-server-discover.json")
    invoke.add_argument("-v", "--verbose", action="store_true", help="print the emulator's log too")
    invoke.set_defaults(run=_invoke_command)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except EmulatorError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())

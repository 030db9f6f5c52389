"""The production container files, checked as text: Docker does not run here, so nothing is built.

Dockerfile: multi-stage on a slim Python, non-root, migrations before a multi-worker server, a /healthz
healthcheck, the data volume, no secret, and the project's files laid out so that PROJECT_ROOT (the parent of
the `app` package) holds templates/, static/, migrations/ and alembic.ini. compose.yaml: app, db and redis
with healthchecks, secrets only as ${VAR} references. .dockerignore keeps local state out of the build.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DOCKERIGNORE = ROOT / ".dockerignore"

SLIM_PYTHON = re.compile(r"^(docker\.io/)?(library/)?python:3\.(1[1-9])(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL", re.IGNORECASE)
# A value that is only a reference to the environment: ${VAR}, ${VAR:?message} or ${VAR?message}.
REQUIRED_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$")
SERVER_START = re.compile(r"\b(quad\s+serve|python\s+-m\s+app\s+serve|uvicorn|gunicorn)\b")
PROJECT_FILES = ("app", "templates", "static", "migrations", "alembic.ini")


# --- a small Dockerfile parser -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int
    workdir: str  # the WORKDIR in force when the instruction runs


@dataclass
class Stage:
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(parse_key_values(instruction.args))
        return values


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join `\\` continuations; drop comments and blank lines (also inside a continuation, as Docker does)."""
    lines: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        lines.append((start, " ".join(part for part in parts if part)))
        parts = []
    assert not parts, f"Dockerfile ends inside a line continuation started at line {start}"
    return lines


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    workdir = "/"
    for number, line in logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(base=words[0], name=name, line=number))
            workdir = "/"
            continue
        if not stages:
            assert keyword == "ARG", f"line {number}: only ARG may come before the first FROM"
            continue
        if keyword == "WORKDIR":
            workdir = posixpath.normpath(posixpath.join(workdir, args))
        stages[-1].instructions.append(Instruction(keyword, args, number, workdir))
    return stages


def parse_key_values(args: str) -> dict[str, str]:
    """ENV/ARG/LABEL arguments: `K=V K2="V 2"`, or the legacy `ENV K V`."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.partition("=")[::2] for word in words)


def exec_or_shell(args: str) -> list[str]:
    """The words of a CMD/ENTRYPOINT/RUN: the JSON exec form, or the shell form's text as one word."""
    if args.startswith("["):
        return list(json.loads(args))
    return [args]


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]
    destination: str  # absolute
    from_stage: str | None


def copies(stage: Stage) -> list[Copy]:
    found = []
    for instruction in stage.instructions:
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        words = (
            list(json.loads(instruction.args)) if instruction.args.startswith("[") else shlex.split(instruction.args)
        )
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        destination = paths[-1]
        if not destination.startswith("/"):
            destination = posixpath.join(instruction.workdir, destination)
        found.append(Copy(tuple(p.rstrip("/") or "/" for p in paths[:-1]), posixpath.normpath(destination), from_stage))
    return found


@cache
def dockerfile_text() -> str:
    return DOCKERFILE.read_text()


@cache
def stages() -> tuple[Stage, ...]:
    return tuple(parse_dockerfile(dockerfile_text()))


def final_stage() -> Stage:
    return stages()[-1]


def stage_named(name: str) -> Stage:
    for index, stage in enumerate(stages()):
        if name in (stage.name, str(index)):
            return stage
    raise AssertionError(f"COPY --from={name} names no stage of the Dockerfile")


# --- .dockerignore ---------------------------------------------------------------------------------------


@cache
def dockerignore_patterns() -> tuple[str, ...]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def ignored(path: str) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; a match on a folder covers what is in it."""
    result = False
    for raw in dockerignore_patterns():
        negate = raw.startswith("!")
        pattern = posixpath.normpath(raw.lstrip("!").lstrip("/"))
        candidates = [pattern, pattern.removeprefix("**/")] if pattern.startswith("**/") else [pattern]
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        hit = any(
            fnmatch(prefix, candidate)
            or (candidate != pattern and any(fnmatch(p, candidate) for p in prefix.split("/")))
            for candidate in candidates
            for prefix in prefixes
        )
        if hit:
            result = not negate
    return result


# --- the start command ------------------------------------------------------------------------------------


def start_script() -> tuple[list[str], str]:
    """ENTRYPOINT + CMD of the final stage, and the text that runs: a copied entrypoint script's lines
    (comments dropped) or the shell-form command itself."""
    stage = final_stage()
    entrypoint = stage.all("ENTRYPOINT")
    command = stage.all("CMD")
    words = (exec_or_shell(entrypoint[-1].args) if entrypoint else []) + (
        exec_or_shell(command[-1].args) if command else []
    )
    assert words, "the final stage has neither ENTRYPOINT nor CMD"
    program = words[0]
    for copy in copies(stage):
        if copy.from_stage is None and copy.destination == program and len(copy.sources) == 1:
            script = (ROOT / copy.sources[0]).read_text()
            code = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
            return words, "\n".join(code)
    return words, " ".join(words)


def entrypoint_script_path() -> Path | None:
    words, _ = start_script()
    for copy in copies(final_stage()):
        if copy.from_stage is None and copy.destination == words[0]:
            return ROOT / copy.sources[0]
    return None


def resolve_number(value: str, env: dict[str, str]) -> int:
    """`4`, `$WEB_CONCURRENCY`, `${WEB_CONCURRENCY:-4}` -> the number the image uses by default."""
    value = value.strip("\"'")
    if value.isdigit():
        return int(value)
    match = re.fullmatch(r"\$\{?(\w+)(?::?-(\d+))?\}?", value)
    assert match, f"cannot tell how many workers {value!r} means"
    name, default = match.groups()
    if env.get(name, "").isdigit():
        return int(env[name])
    assert default, f"{name} has no default in the image"
    return int(default)


# --- Dockerfile --------------------------------------------------------------------------------------------


def test_builds_in_stages_on_a_slim_python() -> None:
    assert len(stages()) >= 2, "expected a builder stage and a runtime stage"
    for stage in stages():
        assert SLIM_PYTHON.match(stage.base), f"line {stage.line}: {stage.base} is not a slim Python 3.11+ image"
    taken = [c.from_stage for c in copies(final_stage()) if c.from_stage]
    assert taken, "the runtime stage takes nothing from the builder"
    for name in taken:  # a venv copied across links to its base image's interpreter
        assert stage_named(name).base == final_stage().base, f"stage {name} and the runtime differ in base image"


def test_installs_a_built_wheel_not_an_editable_checkout() -> None:
    runs = " ".join(i.args for stage in stages() for i in stage.all("RUN"))
    assert re.search(r"pip (wheel|install)\b|python -m build\b|uv (build|pip install)\b", runs)
    assert not re.search(r"(pip|uv pip) install[^&;|]*\s(-e|--editable)\b", runs), "editable install in the image"


def test_final_stage_runs_as_a_fixed_non_root_user() -> None:
    users = final_stage().all("USER")
    assert users, "the final stage has no USER, so it runs as root"
    user = users[-1].args.split(":")[0]
    assert user not in ("root", "0"), f"USER {users[-1].args} is root"
    if not user.isdigit():
        runs = " ".join(i.args for i in final_stage().all("RUN"))
        assert re.search(rf"useradd\b[^&;]*--uid\s+\d+[^&;]*\b{re.escape(user)}\b", runs), (
            f"user {user} is not created with a fixed uid"
        )
    else:
        assert int(user) >= 1000


def test_healthcheck_probes_healthz_with_python() -> None:
    checks = final_stage().all("HEALTHCHECK")
    assert checks, "no HEALTHCHECK"
    check = checks[-1].args
    assert "/healthz" in check and "NONE" not in check.split()
    assert "python" in check, "slim images have no curl or wget; probe with python"
    assert not re.search(r"\b(curl|wget)\b", check)


def test_start_applies_migrations_then_execs_a_multi_worker_server() -> None:
    words, code = start_script()
    upgrade = code.find("db upgrade")
    server = SERVER_START.search(code)
    assert upgrade >= 0, "the start command does not run `quad db upgrade`"
    assert server, "the start command starts no server"
    assert upgrade < server.start(), "the server starts before the migrations"

    if code != " ".join(words):  # an entrypoint script: the server must replace the shell to get SIGTERM
        server_line = code[code.rfind("\n", 0, server.start()) + 1 : code.find("\n", server.start())]
        assert re.match(r"\s*exec\s", server_line), f"the server is not started with exec: {server_line.strip()}"

    workers = re.findall(r"(?:--workers|-w)[=\s]+(\S+)", code[server.start() :])
    assert workers, "the server command does not set its number of workers"
    assert resolve_number(workers[0], final_stage().env()) > 1


def test_data_folder_is_a_volume() -> None:
    env = final_stage().env()
    data_dir = env.get("QUAD_DATA_DIR")
    assert data_dir, "QUAD_DATA_DIR is not set in the image"
    volumes: list[str] = []
    for instruction in final_stage().all("VOLUME"):
        args = instruction.args
        volumes += json.loads(args) if args.startswith("[") else args.split()
    assert data_dir in volumes, f"VOLUME {volumes} does not include the data folder {data_dir}"


def test_production_environment() -> None:
    env = final_stage().env()
    assert env.get("QUAD_ENV") == "prod"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert env.get("MALLOC_ARENA_MAX") == "2"  # fewer malloc arenas per worker: lower peak memory


def test_exposes_port_8000() -> None:
    ports = [p.split("/")[0] for i in final_stage().all("EXPOSE") for p in i.args.split()]
    assert "8000" in ports


def test_no_secret_is_baked_into_the_image() -> None:
    for stage in stages():
        for instruction in stage.instructions:
            if instruction.keyword in ("ENV", "ARG", "LABEL"):
                for key, value in parse_key_values(instruction.args).items():
                    assert not SECRET_NAME.search(key), f"line {instruction.line}: {instruction.keyword} {key}"
                    assert not re.search(r"://[^/\s:@]+:[^@\s]+@", value), f"line {instruction.line}: credentials"
            assert not re.search(r"\b\w*(SECRET|PASSWORD|TOKEN)\w*=\S", instruction.args, re.IGNORECASE), (
                f"line {instruction.line} sets a secret"
            )


def test_image_holds_the_project_files() -> None:
    """What the runtime stage copies, directly or through a stage whose result it copies."""
    shipped: set[str] = set()
    for copy in copies(final_stage()):
        origin = stage_named(copy.from_stage) if copy.from_stage else None
        if origin is None:
            shipped.update(copy.sources)
        else:
            shipped.update(s for c in copies(origin) if c.from_stage is None for s in c.sources)
    for name in PROJECT_FILES:
        from_context = name in shipped or "." in shipped
        assert from_context, f"{name} is not copied into the image"
        assert not ignored(name), f".dockerignore keeps {name} out of the build"
        assert (ROOT / name).exists()


def test_templates_sit_beside_the_app_package() -> None:
    """app/config.py: PROJECT_ROOT is the parent of the `app` package; templates etc. must be right there."""
    stage = final_stage()
    destinations = {c.sources[0]: c.destination for c in copies(stage) if c.from_stage is None and c.sources}
    root = posixpath.dirname(destinations.get("templates", "/missing/templates"))
    for name in ("templates", "static", "migrations", "alembic.ini"):
        assert destinations.get(name) == posixpath.join(root, name), f"{name} is not copied to {root}/{name}"

    pythonpath = stage.env().get("PYTHONPATH", "").split(":")
    if destinations.get("app") == posixpath.join(root, "app"):
        package_home = root  # the source package copied beside them
    else:  # a wheel installed with `pip install --target <root>` in a stage whose <root> is copied over
        package_home = ""
        for copy in copies(stage):
            if copy.from_stage and copy.destination == root:
                runs = " ".join(i.args for i in stage_named(copy.from_stage).all("RUN"))
                if re.search(rf"pip install\b[^&;]*--target[= ]{re.escape(copy.sources[0])}(\s|$)", runs):
                    package_home = root
    assert package_home == root, f"the app package is not installed at {root}/app"
    assert root in pythonpath, f"PYTHONPATH does not put {root} (the package's parent) first on sys.path"
    assert stage.all("WORKDIR") and stage.all("WORKDIR")[-1].workdir == root


def test_wheel_ships_every_data_file_of_the_app_package() -> None:
    """The image runs the installed wheel: a file under app/ that package-data misses would be absent."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project.get("tool", {}).get("setuptools", {}).get("package-data", {}).get("app", [])
    data_files = [
        path
        for path in (ROOT / "app").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not path.name.startswith(".")
        and path.suffix not in (".py", ".pyc", ".pyi")
    ]
    for path in data_files:
        if git_ignores(path):  # generated locally (e.g. compiled catalogs), never part of a build
            continue
        relative = path.relative_to(ROOT / "app").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), (
            f"app/{relative} is not in [tool.setuptools.package-data] app, so the image would lack it"
        )


def git_ignores(path: Path) -> bool:
    if not shutil.which("git") or not (ROOT / ".git").exists():
        return False
    result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(path)], capture_output=True, check=False)
    return result.returncode == 0


# --- the entrypoint script ---------------------------------------------------------------------------------


def test_entrypoint_script_is_valid_and_execs_the_server() -> None:
    script = entrypoint_script_path()
    if script is None:
        pytest.skip("the image starts without an entrypoint script")
    text = script.read_text()
    assert text.startswith("#!/bin/sh") or text.startswith("#!/bin/bash") or text.startswith("#!/usr/bin/env")
    assert re.search(r"^set -[a-z]*e", text, re.MULTILINE), "the script does not stop on the first error"
    assert os.access(script, os.X_OK), f"{script.relative_to(ROOT)} is not executable"
    for shell in ("bash", "sh"):
        if shutil.which(shell):
            result = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, check=False)
            assert result.returncode == 0, f"{shell} -n: {result.stderr}"
    assert re.search(r'^\s*exec "\$@"', text, re.MULTILINE), "other commands do not replace the shell"


# --- .dockerignore -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".git",
        "var",
        "tests/oidc/node_modules",
        "test-artifacts",
        "bench/results",
        ".env",
        "app/__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    ],
)
def test_dockerignore_keeps_local_state_out(path: str) -> None:
    assert ignored(path), f".dockerignore does not exclude {path}"


@pytest.mark.parametrize("path", ["pyproject.toml", "app/main.py", "docker/entrypoint.sh", *PROJECT_FILES])
def test_dockerignore_keeps_what_the_build_needs(path: str) -> None:
    assert not ignored(path), f".dockerignore excludes {path}, which the build needs"


# --- compose.yaml ------------------------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def service(name: str) -> dict[str, Any]:
    services = compose().get("services", {})
    assert name in services, f"compose.yaml has no service {name}"
    return dict(services[name])


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def healthcheck_text(svc: dict[str, Any]) -> str:
    test = svc.get("healthcheck", {}).get("test")
    assert test, "no healthcheck"
    return " ".join(test) if isinstance(test, list) else str(test)


def test_compose_has_app_db_and_redis() -> None:
    assert {"app", "db", "redis"} <= set(compose()["services"])
    build = service("app").get("build")
    context = build if isinstance(build, str) else (build or {}).get("context")
    assert context in (".", "./"), "the app service is not built from this repository"
    assert str(service("db")["image"]).startswith("postgres:16")
    assert str(service("redis")["image"]).startswith("redis:7")


def test_compose_app_settings() -> None:
    app = service("app")
    env = environment(app)
    assert env["QUAD_ENV"] == "prod"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    url = env["DATABASE_URL"]
    match = re.fullmatch(r"postgresql\+psycopg://(\w+):(.+)@db:5432/(\w+)", url)
    assert match, f"DATABASE_URL {url} does not reach db:5432 with psycopg"
    assert REQUIRED_REFERENCE.match(match.group(2)), "the database password is not a required ${VAR}"
    assert REQUIRED_REFERENCE.match(env["SECRET_KEY"])
    assert env["QUAD_BASE_URL"].startswith("${QUAD_BASE_URL")
    assert "entrypoint" not in app and "command" not in app, "compose would bypass the image's migrations"
    targets = {str(p).rsplit(":", 1)[-1] if not isinstance(p, dict) else str(p.get("target")) for p in app["ports"]}
    assert "8000" in targets


def test_compose_mounts_the_identity_providers_read_only() -> None:
    app = service("app")
    idp_path = environment(app)["QUAD_IDP_FILE"]
    mounts = []
    for volume in app.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            mounts.append((parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")))
        else:
            mounts.append((volume.get("source"), volume.get("target"), bool(volume.get("read_only"))))
    assert ("./idp.toml", idp_path, True) in mounts, f"./idp.toml is not mounted read-only at {idp_path}"


def test_compose_keeps_data_in_named_volumes() -> None:
    named = set(compose().get("volumes") or {})

    def named_targets(svc: dict[str, Any]) -> set[str]:
        found = set()
        for volume in svc.get("volumes", []):
            source, target = (
                volume.split(":")[:2] if isinstance(volume, str) else (volume.get("source"), volume.get("target"))
            )
            if source in named:
                found.add(target)
        return found

    assert "/app/var" in named_targets(service("app"))
    assert "/var/lib/postgresql/data" in named_targets(service("db"))


def test_compose_healthchecks_and_start_order() -> None:
    assert "pg_isready" in healthcheck_text(service("db"))
    assert "redis-cli" in healthcheck_text(service("redis")) and "ping" in healthcheck_text(service("redis"))
    depends = service("app").get("depends_on")
    assert isinstance(depends, dict), "depends_on must use the long form to wait for health"
    assert depends["db"]["condition"] == "service_healthy"
    assert "redis" in depends


def test_compose_holds_no_secret_value() -> None:
    for name, svc in compose()["services"].items():
        for key, value in environment(svc).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_REFERENCE.match(value), f"{name}: {key} must be a required ${{VAR}}, not a value"
            for password in re.findall(r"://[^/\s:@]+:([^@\s]+)@", value):
                assert REQUIRED_REFERENCE.match(password), f"{name}: {key} holds a literal password"
    text = COMPOSE.read_text()
    assert not re.search(r"(SECRET|PASSWORD|TOKEN)\w*:-", text), "a secret has a default value"


def test_compose_trusts_the_network_gateway_as_the_proxy() -> None:
    """Published-port connections reach the app from the compose network's gateway; that (fixed) address must be
    the trusted proxy, or every client shares one sign-in rate-limit bucket (security issue #8, finding 11)."""
    import ipaddress

    app = service("app")
    trusted = environment(app)["QUAD_TRUSTED_PROXIES"]
    match = re.fullmatch(r"\$\{QUAD_TRUSTED_PROXIES:-([^}]+)\}", trusted)
    assert match, "QUAD_TRUSTED_PROXIES needs a default naming the proxy's address"
    networks = app.get("networks")
    assert networks, "the app must be on a network with a known gateway"
    name = next(iter(networks))
    [config] = compose()["networks"][name]["ipam"]["config"]
    gateway, subnet = ipaddress.ip_address(config["gateway"]), ipaddress.ip_network(config["subnet"])
    assert gateway in subnet
    assert str(gateway) in [part.strip() for part in match.group(1).split(",")]
    for other in ("db", "redis"):
        assert name in (service(other).get("networks") or []), f"{other} must share the app's network"

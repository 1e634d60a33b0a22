"""The distributed path cannot run here (no Docker engine), so its config is checked against the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml
from typer.main import get_command

from carbonlink.cli import app
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
#: read directly by the runtime, not a Settings field: each process's own name
RUNTIME_VARIABLES = {"CARBONLINK_INSTANCE"}


def _carbonlink_services() -> dict[str, dict]:
    return {name: svc for name, svc in COMPOSE["services"].items() if svc.get("image") == "carbonlink:latest"}


def test_every_service_runs_a_module_or_command_that_exists() -> None:
    cli = get_command(app)
    for name, service in _carbonlink_services().items():
        command = service["command"]
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2] + ".__main__"), f"{name}: no module {command[2]}"
        else:
            assert command[0] == "carbonlink", name
            group = cli.commands[command[1]]
            assert command[2] in group.commands, f"{name}: no command {' '.join(command)}"


def test_every_environment_variable_is_a_setting() -> None:
    fields = {f"CARBONLINK_{field.upper()}" for field in Settings.model_fields}
    for name, service in _carbonlink_services().items():
        unknown = set(service["environment"]) - fields - RUNTIME_VARIABLES
        assert not unknown, f"{name}: {unknown}"


def test_all_five_services_run_and_matching_twice() -> None:
    modules = [svc["command"][2] for svc in _carbonlink_services().values() if svc["command"][0] == "python"]
    assert sorted(set(modules)) == ["services.bridge", "services.matching", "services.order_entry",
                                    "services.oversight", "services.settlement"]
    assert modules.count("services.matching") == 2


def test_kafka_runs_in_kraft_mode_and_redis_keeps_an_append_only_file() -> None:
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert "--appendonly" in COMPOSE["services"]["redis"]["command"]


def test_the_image_is_built_from_the_deploy_dockerfile() -> None:
    for service in _carbonlink_services().values():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (ROOT / "deploy" / "Dockerfile").exists()


def test_every_service_exposes_its_metrics_port_to_the_network_only_and_prometheus_scrapes_each() -> None:
    settings = Settings()
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {target for job in scrape["scrape_configs"] for config in job["static_configs"]
               for target in config["targets"]}
    expected = set()
    for name, service in _carbonlink_services().items():
        if service["command"][0] != "python":
            continue
        port = settings.metrics_port(name)
        assert service["expose"] == [str(port)], name
        assert str(port) not in " ".join(service.get("ports", [])), f"{name} publishes its metrics port"
        expected.add(f"{name}:{port}")
    assert targets == expected
    assert COMPOSE["x-carbonlink-env"]["CARBONLINK_METRICS_HOST"] == "0.0.0.0"

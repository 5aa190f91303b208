"""The Helm chart stays consistent with itself and with the service it deploys.

Without `helm` on PATH this checks what can be checked statically: the plain YAML files parse,
every `.Values.x.y` a template reads exists in values.yaml, every SFSYNC_ variable the chart sets
is a real setting, the probes hit the endpoints the worker serves. With `helm` it also lints the
chart and checks the rendered manifests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "sfsync"
TEMPLATES = CHART / "templates"
VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
INCLUDE = re.compile(r'(?:include|template)\s+"([^"]+)"')
DEFINE = re.compile(r'define\s+"([^"]+)"')
ENV_NAME = re.compile(r"-\s*name:\s*(SFSYNC_[A-Z0-9_]+|KAFKA_BOOTSTRAP_SERVERS)\b")
SECRET_KEY_REF = re.compile(r"secretKeyRef:\s*\n\s*name:[^\n]*\n\s*key:\s*([\w-]+)")
# Secrets must come from a secretKeyRef, never a plain value in the Deployment.
SECRET_SETTINGS = {"SFSYNC_TOKEN_KEYS", "SFSYNC_OAUTH_CLIENT_SECRET"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def template_texts() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(TEMPLATES.iterdir()) if p.is_file()}


def setting_env_names() -> set[str]:
    names = {f"SFSYNC_{name.upper()}" for name in Settings.model_fields}
    names.add("KAFKA_BOOTSTRAP_SERVERS")  # the bootstrap_servers alias
    return names


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return load(CHART / "values.yaml")


def test_chart_metadata_is_valid_and_tracks_the_package_version() -> None:
    chart = load(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == CHART.name
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"]), "chart version must be SemVer"
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert chart["appVersion"] == package, "Chart appVersion drifted from pyproject's version"


def test_every_values_path_used_by_a_template_exists(values: dict[str, Any]) -> None:
    missing = []
    for name, text in template_texts().items():
        for match in VALUES_PATH.finditer(text):
            node: Any = values
            for part in match.group(1).strip(".").split("."):
                if not isinstance(node, dict) or part not in node:
                    missing.append(f"{name}: .Values{match.group(1)}")
                    break
                node = node[part]
    assert not missing, f"templates read values that values.yaml does not define: {sorted(set(missing))}"


def test_the_values_walk_would_notice_a_missing_path(values: dict[str, Any]) -> None:
    """Guards the regex above: it must find the paths, including nested ones, in real templates."""
    found = {m.group(1) for text in template_texts().values() for m in VALUES_PATH.finditer(text)}
    assert ".secrets.existingSecret" in found
    assert ".config.topics.meetings" in found
    assert "doesNotExist" not in values


def test_every_included_template_is_defined() -> None:
    texts = template_texts()
    defined = {d for text in texts.values() for d in DEFINE.findall(text)}
    used = {u for text in texts.values() for u in INCLUDE.findall(text)}
    assert used, "no include found: the check is not looking at the templates"
    assert used <= defined, f"included but never defined: {used - defined}"


def test_template_delimiters_are_balanced() -> None:
    for name, text in template_texts().items():
        assert text.count("{{") == text.count("}}"), name


def test_every_env_var_the_chart_sets_is_a_setting(values: dict[str, Any]) -> None:
    deployment = (TEMPLATES / "deployment.yaml").read_text()
    set_by_chart = set(ENV_NAME.findall(deployment)) | set(values["extraEnv"])
    assert "SFSYNC_DATA_DIR" in set_by_chart
    unknown = set_by_chart - setting_env_names()
    assert not unknown, f"the chart sets variables Settings does not read (typo?): {unknown}"


def test_secrets_reach_the_worker_only_through_a_secret() -> None:
    deployment = (TEMPLATES / "deployment.yaml").read_text()
    for name in SECRET_SETTINGS:
        block = deployment.split(f"- name: {name}\n", 1)[1].split("- name:", 1)[0]
        assert "secretKeyRef" in block, f"{name} must come from a Secret"
    secret = (TEMPLATES / "secret.yaml").read_text()
    for key in SECRET_KEY_REF.findall(deployment):
        assert f"  {key}:" in secret, f"the created Secret lacks key {key}"


def test_probes_hit_the_endpoints_the_worker_serves() -> None:
    deployment = (TEMPLATES / "deployment.yaml").read_text()
    from service.pipeline.app import LIVE_PATH, READY_PATH  # the paths the worker serves

    for probe, path in (("livenessProbe", LIVE_PATH), ("readinessProbe", READY_PATH)):
        assert re.search(rf"{probe}:\s*\n\s*httpGet:\s*\n\s*path: {path}\n", deployment), probe


def test_defaults_match_the_service_defaults(values: dict[str, Any]) -> None:
    defaults = Settings.model_fields
    assert values["web"]["port"] == defaults["web_port"].default
    assert values["service"]["port"] == values["web"]["port"]
    assert values["config"]["appId"] == defaults["app_id"].default
    topics = values["config"]["topics"]
    assert topics["meetings"] == defaults["topic_meetings"].default
    assert topics["orgConfigs"] == defaults["topic_org_configs"].default
    assert topics["results"] == defaults["topic_results"].default
    assert topics["retry"] == defaults["topic_retry"].default
    assert topics["dlq"] == defaults["topic_dlq"].default
    assert values["replicaCount"] <= values["kafka"]["partitions"], "replicas beyond partitions idle"


def test_the_pod_runs_non_root_on_a_read_only_root(values: dict[str, Any]) -> None:
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["securityContext"]["allowPrivilegeEscalation"] is False
    deployment = (TEMPLATES / "deployment.yaml").read_text()
    assert "mountPath: {{ .Values.dataDir.path }}" in deployment
    assert "name: SFSYNC_DATA_DIR\n              value: {{ .Values.dataDir.path | quote }}" in deployment


# ---------------------------------------------------------------- with helm

HELM = shutil.which("helm")
needs_helm = pytest.mark.skipif(HELM is None, reason="helm is not installed")
SECRET_ARGS = ["--set", "secrets.tokenKeys=test-key"]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM is not None
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=60, check=False)


def rendered(*args: str) -> list[dict[str, Any]]:
    done = helm("template", "sfsync", str(CHART), *SECRET_ARGS, *args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@needs_helm
def test_helm_lint_passes() -> None:
    done = helm("lint", "--strict", str(CHART), *SECRET_ARGS)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_helm
def test_rendered_deployment_is_what_production_needs() -> None:
    docs = {doc["kind"]: doc for doc in rendered("--set", "serviceMonitor.enabled=true")}
    assert {"Deployment", "Service", "Secret", "ServiceMonitor", "PodDisruptionBudget"} <= set(docs)
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["SFSYNC_TOKEN_KEYS"]["valueFrom"]["secretKeyRef"]["name"] == docs["Secret"]["metadata"]["name"]
    assert set(env) <= setting_env_names()
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["SFSYNC_DATA_DIR"]["value"] in mounts
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"


@needs_helm
def test_an_existing_secret_replaces_the_created_one() -> None:
    docs = rendered("--set", "secrets.existingSecret=vault-sfsync")
    assert "Secret" not in {doc["kind"] for doc in docs}
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SFSYNC_OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "vault-sfsync"


@needs_helm
def test_install_without_token_keys_is_refused() -> None:
    done = helm("template", "sfsync", str(CHART))
    assert done.returncode != 0
    assert "secrets.tokenKeys" in done.stderr


@needs_helm
def test_more_replicas_than_partitions_is_refused() -> None:
    done = helm(
        "template", "sfsync", str(CHART), *SECRET_ARGS, "--set", "replicaCount=7", "--set", "kafka.partitions=6"
    )
    assert done.returncode != 0
    assert "must not exceed kafka.partitions" in done.stderr

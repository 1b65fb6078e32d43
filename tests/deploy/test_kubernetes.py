"""deploy/kubernetes validates against Kubernetes' own schemas (kubernetes-validate ships them,
no network), strictly: an unknown field is an error, and so is a kind with no schema. The
ArgoCD Application (a custom resource, no schema there) is checked for what it points at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
# The oldest Kubernetes still supported upstream when this was written, and the newest known.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _manifests() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in _documents(path):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_strictly(version: str) -> None:
    manifests = _manifests()
    assert manifests
    for name, doc in manifests.items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {error.message} at {list(error.path)}")


def test_a_broken_manifest_fails_validation() -> None:
    doc = _manifests()["Deployment/switchboard-serve"]
    doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [1]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)
    doc = _manifests()["Deployment/switchboard-serve"]
    doc["spec"]["replica"] = 2  # a typo: strict validation rejects unknown fields
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)


def test_the_deployments_job_probes_and_budget_are_there() -> None:
    manifests = _manifests()
    serve = manifests["Deployment/switchboard-serve"]["spec"]
    container = serve["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert serve["replicas"] >= 2
    worker = manifests["Deployment/switchboard-worker"]["spec"]["template"]
    worker_container = worker["spec"]["containers"][0]
    assert worker_container["args"] == ["worker"]
    # The worker's own /healthz, /readyz and /metrics, on the port WORKER_WEB_PORT names.
    environment = {item["name"]: item["value"] for item in worker_container["env"]}
    (port,) = worker_container["ports"]
    assert environment["WORKER_WEB_PORT"] == str(port["containerPort"])
    assert worker_container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert worker_container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert port["name"] == "http"
    annotations = worker["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port["containerPort"])
    job = manifests["Job/switchboard-migrate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["migrate"]
    budget = manifests["PodDisruptionBudget/switchboard-serve"]["spec"]
    assert budget["selector"]["matchLabels"] == serve["selector"]["matchLabels"]
    service = manifests["Service/switchboard"]["spec"]
    assert service["selector"] == serve["selector"]["matchLabels"]
    for name in ("ConfigMap/switchboard-config", "Secret/switchboard-secrets"):
        assert name in manifests
    for doc in manifests.values():
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if pod is not None:
            assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]


def test_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"secret.example.yaml"}


def test_the_argocd_application_syncs_these_manifests() -> None:
    (application,) = _documents(DEPLOY / "argocd" / "application.yaml")
    assert application["apiVersion"] == "argoproj.io/v1alpha1"
    assert application["kind"] == "Application"
    source = application["spec"]["source"]
    assert (DEPLOY.parent / source["path"]).resolve() == KUBERNETES
    assert application["spec"]["destination"]["namespace"] == "switchboard"

"""The part of kustomize that deploy/k8s uses, for machines without kubectl: resources
(files and directories), namespace, images, inline JSON 6902 patches and env-file
secretGenerators (create or replace) without name hashes. Anything else is refused, so a
kustomization that grows past this renderer fails loudly; test_rendering compares it with
`kubectl kustomize` wherever kubectl exists."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

Resource = dict[str, Any]
KNOWN = {"apiVersion", "kind", "namespace", "resources", "images", "patches",
         "secretGenerator", "generatorOptions"}
CLUSTER_SCOPED = {"Namespace"}


def render(directory: Path) -> list[Resource]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN
    if unknown:
        raise ValueError(f"{directory}: kustomize_lite does not support {sorted(unknown)}")
    if spec.get("secretGenerator") and not spec.get("generatorOptions", {}).get(
            "disableNameSuffixHash") and not _inherits_no_hash(directory, spec):
        raise ValueError("name-suffix hashes are not supported")
    out: list[Resource] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        out.extend(render(path) if path.is_dir() else
                   [r for r in yaml.safe_load_all(path.read_text()) if r])
    for generator in spec.get("secretGenerator", []):
        _generate_secret(directory, generator, out)
    for patch in spec.get("patches", []):
        ops = jsonpatch.JsonPatch(yaml.safe_load(patch["patch"]))
        for i, resource in enumerate(out):
            if _matches(resource, patch["target"]):
                out[i] = ops.apply(resource)
    for image in spec.get("images", []):
        for resource in out:
            for container in _containers(resource):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    if "namespace" in spec:
        for resource in out:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    return out


def _inherits_no_hash(directory: Path, spec: dict[str, Any]) -> bool:
    bases = [directory / r for r in spec.get("resources", []) if (directory / r).is_dir()]
    return any(yaml.safe_load((b / "kustomization.yaml").read_text())
               .get("generatorOptions", {}).get("disableNameSuffixHash") for b in bases)


def _generate_secret(directory: Path, generator: dict[str, Any], out: list[Resource]) -> None:
    data: dict[str, str] = {}
    for env_file in generator.get("envs", []):
        for line in (directory / env_file).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                data[key.strip()] = base64.b64encode(value.encode()).decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": generator["name"]},
              "type": "Opaque", "data": data}
    behavior = generator.get("behavior", "create")
    existing = [i for i, r in enumerate(out)
                if r["kind"] == "Secret" and r["metadata"]["name"] == generator["name"]]
    if behavior == "create" and not existing:
        out.append(secret)
    elif behavior == "replace" and len(existing) == 1:
        secret["metadata"] = out[existing[0]]["metadata"]
        out[existing[0]] = secret
    else:
        raise ValueError(f"secretGenerator {generator['name']}: behavior {behavior} unsupported here")


def _matches(resource: Resource, target: dict[str, str]) -> bool:
    return (resource["kind"] == target.get("kind", resource["kind"])
            and resource["metadata"]["name"] == target.get("name", resource["metadata"]["name"]))


def _containers(resource: Resource) -> list[dict[str, Any]]:
    pod = resource.get("spec", {}).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]

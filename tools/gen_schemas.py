#!/usr/bin/env python3
"""Generate the compact schema data files under tools/t1114/data/schemas/.

Run from the repository root:

    python tools/gen_schemas.py --reference ../shared/reference --out tools/t1114/data/schemas

Inputs (read-only reference material, never copied into the repository):

* ``<reference>/elastic-integration-fields``: elastic-package ``fields/*.yml``
  files of the Elastic integrations and of the Elastic Defend (endpoint)
  package.  ``*.yml.link`` files are followed when their target exists.
* ``<reference>/kibana-rule-schema``: Kibana's OpenAPI YAML for the detection
  rule API (root ``rule_schemas.schema.yaml#/components/schemas/RuleCreateProps``)
  and the rule import route.

Outputs (deterministic, sorted keys, indent=1, trailing newline):

* ``elastic.json``: per data stream, the dotted field names and their
  Elasticsearch mapping types; the version of every integration package read.
* ``kibana_rule.schema.json``: one self-contained JSON Schema (draft 2020-12)
  for one rule line of Kibana's detection-rule import NDJSON.

Only the Python standard library and PyYAML are used.  Any missing or malformed
input ends the run with a one-line error naming the file, and exit status 1.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import posixpath
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the environment
    sys.stderr.write("gen_schemas: error: PyYAML is required (pip install PyYAML)\n")
    sys.exit(1)


class InputError(Exception):
    """A missing or malformed input file; str() is the one-line message."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# ---------------------------------------------------------------------------
# ECS facts
# ---------------------------------------------------------------------------

#: ECS version the type table below was taken from (elastic/ecs, ecs_flat.yml).
ECS_VERSION = "9.5.0-dev"

#: Elasticsearch mapping type of every ECS field that the reference field files
#: declare with ``external: ecs`` (those carry no type of their own), of the
#: base fields added to every data stream, and of the ECS fields of the missing
#: ``ecs_powershell.yml`` link target (see MISSING_LINK_FALLBACK).
#: ``geo.*`` is not a top-level ECS field set; a few integrations still
#: reference it, and the types are those of the ECS ``geo`` field set.
ECS_TYPES = {
    "@timestamp": "date",
    "client.geo.location": "geo_point",
    "client.ip": "ip",
    "cloud.account.id": "keyword",
    "cloud.availability_zone": "keyword",
    "cloud.instance.id": "keyword",
    "cloud.instance.name": "keyword",
    "cloud.machine.type": "keyword",
    "cloud.project.id": "keyword",
    "cloud.provider": "keyword",
    "cloud.region": "keyword",
    "cloud.service.name": "keyword",
    "container.id": "keyword",
    "container.image.name": "keyword",
    "container.labels": "object",
    "container.name": "keyword",
    "container.runtime": "keyword",
    "data_stream.dataset": "constant_keyword",
    "data_stream.namespace": "constant_keyword",
    "data_stream.type": "constant_keyword",
    "destination.address": "keyword",
    "destination.as.number": "long",
    "destination.as.organization.name": "keyword",
    "destination.domain": "keyword",
    "destination.geo.city_name": "keyword",
    "destination.geo.continent_name": "keyword",
    "destination.geo.country_iso_code": "keyword",
    "destination.geo.country_name": "keyword",
    "destination.geo.location": "geo_point",
    "destination.geo.name": "keyword",
    "destination.geo.region_iso_code": "keyword",
    "destination.geo.region_name": "keyword",
    "destination.ip": "ip",
    "destination.port": "long",
    "destination.user.domain": "keyword",
    "destination.user.id": "keyword",
    "destination.user.name": "keyword",
    "dns.answers": "object",
    "dns.answers.class": "keyword",
    "dns.answers.data": "keyword",
    "dns.answers.name": "keyword",
    "dns.answers.ttl": "long",
    "dns.answers.type": "keyword",
    "dns.header_flags": "keyword",
    "dns.id": "keyword",
    "dns.op_code": "keyword",
    "dns.question.class": "keyword",
    "dns.question.name": "keyword",
    "dns.question.registered_domain": "keyword",
    "dns.question.subdomain": "keyword",
    "dns.question.top_level_domain": "keyword",
    "dns.question.type": "keyword",
    "dns.resolved_ip": "ip",
    "dns.response_code": "keyword",
    "dns.type": "keyword",
    "ecs.version": "keyword",
    "email.attachments": "nested",
    "email.attachments.file.extension": "keyword",
    "email.attachments.file.hash.sha256": "keyword",
    "email.attachments.file.name": "keyword",
    "email.attachments.file.size": "long",
    "error.code": "keyword",
    "error.message": "match_only_text",
    "event.action": "keyword",
    "event.category": "keyword",
    "event.code": "keyword",
    "event.created": "date",
    "event.dataset": "keyword",
    "event.duration": "long",
    "event.end": "date",
    "event.id": "keyword",
    "event.ingested": "date",
    "event.kind": "keyword",
    "event.module": "keyword",
    "event.original": "keyword",
    "event.outcome": "keyword",
    "event.provider": "keyword",
    "event.sequence": "long",
    "event.start": "date",
    "event.type": "keyword",
    "file.code_signature.exists": "boolean",
    "file.code_signature.status": "keyword",
    "file.code_signature.subject_name": "keyword",
    "file.code_signature.trusted": "boolean",
    "file.code_signature.valid": "boolean",
    "file.device": "keyword",
    "file.directory": "keyword",
    "file.extension": "keyword",
    "file.gid": "keyword",
    "file.group": "keyword",
    "file.hash.md5": "keyword",
    "file.hash.sha1": "keyword",
    "file.hash.sha256": "keyword",
    "file.hash.sha512": "keyword",
    "file.inode": "keyword",
    "file.mime_type": "keyword",
    "file.mode": "keyword",
    "file.name": "keyword",
    "file.owner": "keyword",
    "file.path": "keyword",
    "file.pe.architecture": "keyword",
    "file.pe.company": "keyword",
    "file.pe.description": "keyword",
    "file.pe.file_version": "keyword",
    "file.pe.imphash": "keyword",
    "file.pe.original_file_name": "keyword",
    "file.pe.product": "keyword",
    "file.size": "long",
    "file.uid": "keyword",
    "geo.city_name": "keyword",
    "geo.continent_name": "keyword",
    "geo.country_iso_code": "keyword",
    "geo.country_name": "keyword",
    "geo.location": "geo_point",
    "group.domain": "keyword",
    "group.id": "keyword",
    "group.name": "keyword",
    "host.architecture": "keyword",
    "host.domain": "keyword",
    "host.hostname": "keyword",
    "host.id": "keyword",
    "host.ip": "ip",
    "host.mac": "keyword",
    "host.name": "keyword",
    "host.os.family": "keyword",
    "host.os.kernel": "keyword",
    "host.os.name": "keyword",
    "host.os.platform": "keyword",
    "host.os.type": "keyword",
    "host.os.version": "keyword",
    "host.type": "keyword",
    "http.request.body.bytes": "long",
    "http.request.method": "keyword",
    "http.response.status_code": "long",
    "log.file.path": "keyword",
    "log.level": "keyword",
    "message": "match_only_text",
    "network.community_id": "keyword",
    "network.direction": "keyword",
    "network.name": "keyword",
    "network.protocol": "keyword",
    "network.transport": "keyword",
    "network.type": "keyword",
    "observer.product": "keyword",
    "observer.vendor": "keyword",
    "organization.id": "keyword",
    "process.args": "keyword",
    "process.args_count": "long",
    "process.command_line": "wildcard",
    "process.entity_id": "keyword",
    "process.executable": "keyword",
    "process.exit_code": "long",
    "process.hash.md5": "keyword",
    "process.hash.sha1": "keyword",
    "process.hash.sha256": "keyword",
    "process.hash.sha512": "keyword",
    "process.name": "keyword",
    "process.parent.args": "keyword",
    "process.parent.args_count": "long",
    "process.parent.command_line": "wildcard",
    "process.parent.entity_id": "keyword",
    "process.parent.executable": "keyword",
    "process.parent.hash.md5": "keyword",
    "process.parent.hash.sha1": "keyword",
    "process.parent.hash.sha256": "keyword",
    "process.parent.hash.sha512": "keyword",
    "process.parent.name": "keyword",
    "process.parent.pe.architecture": "keyword",
    "process.parent.pe.company": "keyword",
    "process.parent.pe.description": "keyword",
    "process.parent.pe.file_version": "keyword",
    "process.parent.pe.imphash": "keyword",
    "process.parent.pe.original_file_name": "keyword",
    "process.parent.pe.product": "keyword",
    "process.parent.pid": "long",
    "process.parent.start": "date",
    "process.parent.title": "keyword",
    "process.pe.architecture": "keyword",
    "process.pe.company": "keyword",
    "process.pe.description": "keyword",
    "process.pe.file_version": "keyword",
    "process.pe.imphash": "keyword",
    "process.pe.original_file_name": "keyword",
    "process.pe.product": "keyword",
    "process.pid": "long",
    "process.title": "keyword",
    "process.working_directory": "keyword",
    "registry.data.strings": "wildcard",
    "registry.data.type": "keyword",
    "registry.hive": "keyword",
    "registry.key": "keyword",
    "registry.path": "keyword",
    "registry.value": "keyword",
    "related.hash": "keyword",
    "related.hosts": "keyword",
    "related.ip": "ip",
    "related.user": "keyword",
    "rule.name": "keyword",
    "service.name": "keyword",
    "service.type": "keyword",
    "source.address": "keyword",
    "source.as.number": "long",
    "source.as.organization.name": "keyword",
    "source.domain": "keyword",
    "source.geo.city_name": "keyword",
    "source.geo.continent_name": "keyword",
    "source.geo.country_iso_code": "keyword",
    "source.geo.country_name": "keyword",
    "source.geo.location": "geo_point",
    "source.geo.name": "keyword",
    "source.geo.region_iso_code": "keyword",
    "source.geo.region_name": "keyword",
    "source.ip": "ip",
    "source.port": "long",
    "source.user.domain": "keyword",
    "source.user.email": "keyword",
    "source.user.id": "keyword",
    "source.user.name": "keyword",
    "tags": "keyword",
    "url.domain": "keyword",
    "url.extension": "keyword",
    "url.fragment": "keyword",
    "url.full": "wildcard",
    "url.original": "wildcard",
    "url.password": "keyword",
    "url.path": "wildcard",
    "url.port": "long",
    "url.query": "keyword",
    "url.registered_domain": "keyword",
    "url.scheme": "keyword",
    "url.subdomain": "keyword",
    "url.top_level_domain": "keyword",
    "url.username": "keyword",
    "user.domain": "keyword",
    "user.effective.group.id": "keyword",
    "user.effective.group.name": "keyword",
    "user.effective.id": "keyword",
    "user.effective.name": "keyword",
    "user.email": "keyword",
    "user.full_name": "keyword",
    "user.group.id": "keyword",
    "user.group.name": "keyword",
    "user.id": "keyword",
    "user.name": "keyword",
    "user.target.domain": "keyword",
    "user.target.email": "keyword",
    "user.target.group.domain": "keyword",
    "user.target.group.id": "keyword",
    "user.target.group.name": "keyword",
    "user.target.id": "keyword",
    "user.target.name": "keyword",
    "user_agent.device.name": "keyword",
    "user_agent.name": "keyword",
    "user_agent.original": "keyword",
    "user_agent.os.full": "keyword",
    "user_agent.os.name": "keyword",
    "user_agent.os.version": "keyword",
    "user_agent.version": "keyword",
}

#: ECS multi-fields (``<field>.<multi>``) of the fields in ECS_TYPES.  They are
#: part of the ECS mapping that the integrations install, so queries may use them.
ECS_MULTI_FIELDS = {
    "destination.as.organization.name.text": "match_only_text",
    "destination.user.name.text": "match_only_text",
    "file.path.text": "match_only_text",
    "host.os.name.text": "match_only_text",
    "process.command_line.text": "match_only_text",
    "process.executable.text": "match_only_text",
    "process.name.text": "match_only_text",
    "process.parent.command_line.text": "match_only_text",
    "process.parent.executable.text": "match_only_text",
    "process.parent.name.text": "match_only_text",
    "process.parent.title.text": "match_only_text",
    "process.title.text": "match_only_text",
    "process.working_directory.text": "match_only_text",
    "source.as.organization.name.text": "match_only_text",
    "source.user.name.text": "match_only_text",
    "url.full.text": "match_only_text",
    "url.original.text": "match_only_text",
    "user.effective.name.text": "match_only_text",
    "user.full_name.text": "match_only_text",
    "user.name.text": "match_only_text",
    "user.target.name.text": "match_only_text",
    "user_agent.original.text": "match_only_text",
    "user_agent.os.full.text": "match_only_text",
    "user_agent.os.name.text": "match_only_text",
}

#: Fields that every Elastic document carries, added to every data stream where
#: its field files do not already define them (types from ECS_TYPES).
BASE_FIELDS = (
    "@timestamp",
    "data_stream.dataset",
    "data_stream.namespace",
    "data_stream.type",
    "event.action",
    "event.category",
    "event.code",
    "event.dataset",
    "event.module",
    "event.outcome",
    "event.provider",
    "event.type",
    "host.name",
    "host.os.type",
    "message",
    "source.ip",
    "tags",
    "user.domain",
    "user.id",
    "user.name",
)

# ---------------------------------------------------------------------------
# Elastic data streams
# ---------------------------------------------------------------------------

FIELDS_ROOT = "elastic-integration-fields"

#: Data streams this content pack targets; each must be present in the reference.
#: Any other data stream found under the reference is included as well.
REQUIRED_DATASETS = (
    "auditd_manager.auditd",
    "azure.graphactivitylogs",
    "azure.signinlogs",
    "endpoint.events.file",
    "endpoint.events.process",
    "google_workspace.admin",
    "google_workspace.gmail",
    "google_workspace.login",
    "google_workspace.user_accounts",
    "o365.audit",
    "system.security",
    "windows.forwarded",
    "windows.powershell_operational",
    "windows.sysmon_operational",
)

#: Data streams of the Elastic Defend (endpoint) package whose dataset is
#: ``endpoint.events.<stream>``; its other streams are ``endpoint.<stream>``.
ENDPOINT_EVENT_STREAMS = frozenset(
    ("api", "file", "library", "network", "process", "registry", "security")
)

#: Shared field files that upstream data streams include through
#: ``*.yml.link`` files that the reference does not hold.  Paths are relative
#: to the package directory.  (dataset -> shared files)
UNLINKED_SHARED_FILES = {
    "azure.graphactivitylogs": ("_dev/shared/fields/package-fields_graph.yml",),
    "google_workspace.admin": ("_dev/shared/fields/package-fields.yml",),
    "google_workspace.login": ("_dev/shared/fields/package-fields.yml",),
    "google_workspace.user_accounts": ("_dev/shared/fields/package-fields.yml",),
}

#: Link targets missing from the reference for which the field names are known
#: from the pre-link version of the same file (upstream
#: packages/windows/data_stream/powershell_operational/fields/ecs.yml, a list of
#: ECS fields).  Types come from ECS_TYPES.  (target basename -> ECS fields)
MISSING_LINK_FALLBACK = {
    "ecs_powershell.yml": (
        "destination.user.domain",
        "destination.user.id",
        "destination.user.name",
        "event.action",
        "event.category",
        "event.code",
        "event.created",
        "event.ingested",
        "event.kind",
        "event.module",
        "event.outcome",
        "event.provider",
        "event.sequence",
        "event.type",
        "file.directory",
        "file.extension",
        "file.path",
        "host.name",
        "log.level",
        "process.args",
        "process.args_count",
        "process.command_line",
        "process.entity_id",
        "process.executable",
        "process.name",
        "process.pid",
        "process.title",
        "related.hash",
        "related.hosts",
        "related.ip",
        "related.user",
        "source.user.domain",
        "source.user.id",
        "source.user.name",
        "user.domain",
        "user.id",
        "user.name",
    ),
}

#: Fields documented in reference/SOURCES.md whose fields.yml is missing from
#: the reference (the package README lists them).  (dataset -> {field: type})
DOCUMENTED_GAPS = {
    "google_workspace.user_accounts": {
        "google_workspace.user_accounts.email_forwarding_destination_address": "keyword",
    },
}

#: ECS fields a data stream's ingest pipeline sets without its field files declaring them
#: (the package maps them through the ECS dynamic templates), from the pipeline and its test
#: vector in elastic/integrations (graphactivitylogs: requestUri becomes url.original through
#: uri_parts, requestMethod http.request.method, responseStatusCode http.response.status_code,
#: userAgent user_agent.original). Types from ECS_TYPES.  (dataset -> ECS fields)
PIPELINE_ECS_FIELDS = {
    "azure.graphactivitylogs": (
        "http.request.method",
        "http.response.status_code",
        "url.original",
        "url.path",
        "url.query",
        "user_agent.original",
    ),
}

#: Data streams the pack reads whose package the reference does not hold: (package, version
#: from the package's manifest.yml in elastic/integrations, ECS fields it sets, from the
#: data stream's pipeline test vectors in reference/elastic-pipeline-tests).  The
#: sysmon_linux pipeline is the Windows Sysmon pipeline over syslog.
NOT_IN_REFERENCE = {
    "sysmon_linux.log": (
        "sysmon_linux",
        "1.5.0",
        (
            "event.code",
            "file.directory",
            "file.name",
            "file.path",
            "host.hostname",
            "process.args",
            "process.command_line",
            "process.entity_id",
            "process.executable",
            "process.name",
            "process.parent.command_line",
            "process.parent.entity_id",
            "process.parent.executable",
            "process.parent.pid",
            "process.pid",
            "process.working_directory",
        ),
    ),
}

#: Field files that carry only generic agent/beat/cloud/host metadata; when
#: such a link target is missing the gap is harmless and only noted.
GENERIC_FIELD_FILES = frozenset(("agent.yml", "beats.yml"))


def _rel(path: str, base: str) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def load_yaml(path: str, display: str):
    if not os.path.isfile(path):
        raise InputError(display, "missing file")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(display, f"malformed YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(display, f"cannot read: {exc.__class__.__name__}") from None


def package_version(package_dir: str, ref_root: str) -> str:
    manifest = os.path.join(package_dir, "manifest.yml")
    if not os.path.isfile(manifest):
        return "unknown"
    data = load_yaml(manifest, _rel(manifest, ref_root))
    if not isinstance(data, dict) or "version" not in data:
        raise InputError(_rel(manifest, ref_root), "manifest without a version")
    return str(data["version"])


def discover_data_streams(fields_root: str):
    """Yield (dataset, integration, package_dir, stream_dir), sorted by dataset."""
    found = []
    for dirpath, dirnames, _files in os.walk(fields_root):
        dirnames.sort()
        if os.path.basename(dirpath) != "data_stream":
            continue
        package_dir = os.path.dirname(dirpath)
        package = os.path.basename(package_dir)
        for stream in sorted(dirnames):
            stream_dir = os.path.join(dirpath, stream)
            if not os.path.isdir(os.path.join(stream_dir, "fields")):
                continue
            if package == "endpoint":
                prefix = "endpoint.events" if stream in ENDPOINT_EVENT_STREAMS else "endpoint"
                dataset = f"{prefix}.{stream}"
            else:
                dataset = f"{package}.{stream}"
            found.append((dataset, package, package_dir, stream_dir))
        dirnames[:] = []  # nothing to find below data_stream/
    return sorted(found)


def resolve_field_files(dataset, package_dir, stream_dir, ref_root, notes):
    """Return [(display_path, abs_path or None, fallback_fields or None)], sorted.

    ``X.yml.link`` wins over ``X.yml`` when its target exists; when the target
    is missing the pre-link ``X.yml`` is used if present.
    """
    fields_dir = os.path.join(stream_dir, "fields")
    names = sorted(os.listdir(fields_dir))
    plain = {n for n in names if n.endswith(".yml")}
    links = {n for n in names if n.endswith(".yml.link")}
    chosen = []
    for link in sorted(links):
        link_path = os.path.join(fields_dir, link)
        display = _rel(link_path, ref_root)
        try:
            with open(link_path, encoding="utf-8") as fh:
                tokens = fh.read().split()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(display, f"cannot read: {exc.__class__.__name__}") from None
        if not tokens or not tokens[0].endswith(".yml"):
            raise InputError(display, "malformed link file (expected '<relative path> <sha256>')")
        target = os.path.normpath(os.path.join(fields_dir, tokens[0]))
        sibling = link[: -len(".link")]
        if os.path.isfile(target):
            if len(tokens) > 1 and re.fullmatch(r"[0-9a-f]{64}", tokens[1]):
                with open(target, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
                if digest != tokens[1]:
                    notes.append(f"{dataset}: link {link} target checksum differs")
            chosen.append((_rel(target, ref_root), target, None))
            plain.discard(sibling)
        elif sibling in plain:
            notes.append(
                f"{dataset}: link target of {link} is missing, used the pre-link {sibling}"
            )
        elif os.path.basename(target) in MISSING_LINK_FALLBACK:
            base = os.path.basename(target)
            notes.append(f"{dataset}: link target {base} is missing, used its known ECS field list")
            display = f"{_rel(target, ref_root)} (fallback)"
            chosen.append((display, None, MISSING_LINK_FALLBACK[base]))
        else:
            what = "generic metadata fields" if sibling in GENERIC_FIELD_FILES else "fields"
            notes.append(f"{dataset}: link target of {link} is missing ({what} not included)")
    for name in sorted(plain):
        path = os.path.join(fields_dir, name)
        chosen.append((_rel(path, ref_root), path, None))
    for shared in UNLINKED_SHARED_FILES.get(dataset, ()):
        path = os.path.join(package_dir, *shared.split("/"))
        display = _rel(path, ref_root)
        if not os.path.isfile(path):
            raise InputError(display, "missing file")
        notes.append(
            f"{dataset}: added shared {shared} (its upstream link file is not in the reference)"
        )
        chosen.append((display, path, None))
    return sorted(chosen, key=lambda item: item[0])


def _ecs_type(name: str, display: str) -> str:
    if name not in ECS_TYPES:
        raise InputError(
            display, f"external ECS field {name!r} is not in the ECS type table of gen_schemas.py"
        )
    return ECS_TYPES[name]


#: Precedence of field definitions: an explicit type beats an alias, which
#: beats a type inferred from ECS.  Equal ranks: the first file (sorted path
#: order) wins and the disagreement is noted.
_RANK = {"ecs": 0, "alias": 1, "explicit": 2}


def _put(fields, name, ftype, origin, conflicts):
    old = fields.get(name)
    if old is None:
        fields[name] = (ftype, origin)
    elif old[0] != ftype:
        if _RANK[origin] > _RANK[old[1]]:
            fields[name] = (ftype, origin)
        elif _RANK[origin] == _RANK[old[1]]:
            conflicts.append(f"{name}: {old[0]} vs {ftype}")


def walk_fields(items, prefix, fields, display, conflicts):
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError(display, f"expected a list of fields under {prefix or 'the top level'!r}")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            where = prefix or "the top level"
            raise InputError(display, f"field entry without a name under {where!r}")
        name = prefix + item["name"]
        ftype = item.get("type")
        if ftype is not None and not isinstance(ftype, str):
            raise InputError(display, f"field {name!r} has a non-string type")
        external = item.get("external")
        if external is not None:
            if external != "ecs":
                raise InputError(display, f"field {name!r} has unsupported external {external!r}")
            if ftype in (None, "group"):
                _put(fields, name, _ecs_type(name, display), "ecs", conflicts)
            else:
                _put(fields, name, ftype, "explicit", conflicts)
            for mname, mtype in ECS_MULTI_FIELDS.items():
                if mname.rpartition(".")[0] == name:
                    _put(fields, mname, mtype, "ecs", conflicts)
        elif ftype == "group":
            pass  # a container: its sub-fields are recorded below
        elif ftype == "alias":
            path = item.get("path")
            if not isinstance(path, str) or not path:
                raise InputError(display, f"alias field {name!r} has no path")
            _put(fields, name, ("alias", path), "alias", conflicts)
        else:
            _put(fields, name, ftype or "keyword", "explicit", conflicts)
        multi = item.get("multi_fields") or []
        if not isinstance(multi, list):
            raise InputError(display, f"field {name!r} has malformed multi_fields")
        for sub in multi:
            if not isinstance(sub, dict) or not isinstance(sub.get("name"), str):
                raise InputError(display, f"field {name!r} has a multi-field without a name")
            sub_type = sub.get("type") or "keyword"
            _put(fields, f"{name}.{sub['name']}", sub_type, "explicit", conflicts)
        if "fields" in item:
            walk_fields(item["fields"], name + ".", fields, display, conflicts)


def build_elastic(ref_root: str):
    fields_root = os.path.join(ref_root, FIELDS_ROOT)
    if not os.path.isdir(fields_root):
        raise InputError(_rel(fields_root, os.path.dirname(ref_root)), "missing directory")
    streams = discover_data_streams(fields_root)
    present = {s[0] for s in streams}
    for dataset in REQUIRED_DATASETS:
        if dataset not in present:
            package, _, stream = dataset.partition(".")
            raise InputError(
                f"{FIELDS_ROOT}/**/{package}/data_stream/{stream.rpartition('.')[2]}/fields",
                f"missing data stream for {dataset}",
            )
    datasets = {}
    notes = []
    versions = {}
    for dataset, package, package_dir, stream_dir in streams:
        versions[package] = package_version(package_dir, ref_root)
        files = resolve_field_files(dataset, package_dir, stream_dir, ref_root, notes)
        fields: dict = {}
        conflicts: list = []
        for display, path, fallback in files:
            if fallback is not None:
                for name in fallback:
                    _put(fields, name, _ecs_type(name, display), "ecs", conflicts)
                    for mname, mtype in ECS_MULTI_FIELDS.items():
                        if mname.rpartition(".")[0] == name:
                            _put(fields, mname, mtype, "ecs", conflicts)
                continue
            data = load_yaml(path, display)
            if data is None:
                continue
            walk_fields(data, "", fields, display, conflicts)
        for name, ftype in DOCUMENTED_GAPS.get(dataset, {}).items():
            _put(fields, name, ftype, "explicit", conflicts)
        for name in PIPELINE_ECS_FIELDS.get(dataset, ()):
            _put(fields, name, ECS_TYPES[name], "ecs", conflicts)
            for mname, mtype in ECS_MULTI_FIELDS.items():
                if mname.rpartition(".")[0] == name:
                    _put(fields, mname, mtype, "ecs", conflicts)
        for name in BASE_FIELDS:
            if name not in fields:
                _put(fields, name, ECS_TYPES[name], "ecs", conflicts)
                for mname, mtype in ECS_MULTI_FIELDS.items():
                    if mname.rpartition(".")[0] == name and mname not in fields:
                        _put(fields, mname, mtype, "ecs", conflicts)
        resolved = {}
        for name, (ftype, _origin) in fields.items():
            if isinstance(ftype, tuple):  # alias: the type of its target, when known
                target = fields.get(ftype[1])
                ftype = target[0] if target and not isinstance(target[0], tuple) else "alias"
            resolved[name] = ftype
        for conflict in sorted(set(conflicts)):
            notes.append(f"{dataset}: conflicting definitions {conflict} (first kept)")
        datasets[dataset] = {
            "integration": package,
            "index": f"logs-{dataset}-*",
            "fields": dict(sorted(resolved.items())),
        }
    for dataset, (package, version, names) in sorted(NOT_IN_REFERENCE.items()):
        versions[package] = version
        fields = {}
        for name in sorted(set(names) | set(BASE_FIELDS)):
            fields[name] = ECS_TYPES[name] if name in ECS_TYPES else _ecs_type(name, dataset)
        datasets[dataset] = {
            "integration": package,
            "index": f"logs-{dataset}-*",
            "fields": dict(sorted(fields.items())),
        }
        notes.append(
            f"{dataset}: not in the reference; package {package} {version} (its manifest.yml) with the ECS "
            "fields its pipeline test vectors show"
        )
    datasets = dict(sorted(datasets.items()))
    pkg_list = ", ".join(f"{p} {v}" for p, v in sorted(versions.items()))
    source = (
        "Generated by tools/gen_schemas.py from elastic-package fields.yml files of the "
        "Elastic integrations and the Elastic Defend endpoint package "
        f"(package versions: {pkg_list}); "
        "nested groups are flattened to dotted names, *.yml.link files are followed where "
        "their target exists, external: ecs fields are typed from the script's ECS table "
        f"(ECS {ECS_VERSION}, elastic/ecs generated/ecs/ecs_flat.yml) with their ECS "
        "multi-fields, alias fields take the type of their target, flattened/object fields "
        "keep that type (their sub-keys are queryable), "
        "names containing '*' are dynamic-template patterns kept as declared, "
        "and the common base fields (" + ", ".join(BASE_FIELDS) + ") are added where missing. "
        "google_workspace.user_accounts: its fields.yml is missing from the reference, so "
        "google_workspace.user_accounts.email_forwarding_destination_address (keyword) is added "
        "as documented in the package README (see reference SOURCES.md). "
        "Notes: " + "; ".join(sorted(set(notes))) + "."
    )
    # Package versions let the Kibana rules name the integrations they need (related_integrations).
    return {"source": source, "datasets": datasets, "packages": dict(sorted(versions.items()))}


# ---------------------------------------------------------------------------
# Kibana rule import schema
# ---------------------------------------------------------------------------

KIBANA_ROOT = "kibana-rule-schema"
RULE_SCHEMAS_FILE = "detection_engine/model/rule_schema/rule_schemas.schema.yaml"
ROOT_SCHEMA = "RuleCreateProps"
IMPORT_ROUTE_FILE = "detection_engine/rule_management/import_rules/import_rules_route.schema.yaml"
IMPORT_PATH = "/api/detection_engine/rules/_import"
COMMON_FILE = "detection_engine/model/rule_schema/common_attributes.schema.yaml"

#: Schema keywords whose value is a subschema / list of subschemas / map of subschemas.
_SUBSCHEMA = ("items", "not", "additionalProperties")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_MAPS = ("properties", "patternProperties")
#: OpenAPI-only keywords dropped from the output.
_DROPPED = ("discriminator", "xml", "externalDocs")
_REF_RE = re.compile(r"^(?P<file>[^#]*)#/components/schemas/(?P<name>[A-Za-z0-9_.-]+)$")


class OpenApiToJsonSchema:
    """Resolve Kibana's OpenAPI 3.0 YAML component schemas into one $defs map."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.docs: dict = {}
        self.def_names: dict = {}  # (file, name) -> $defs key
        self.defs: dict = {}
        self.pending: list = []

    def doc(self, rel: str):
        if rel not in self.docs:
            display = f"{KIBANA_ROOT}/{rel}"
            data = load_yaml(os.path.join(self.root, *rel.split("/")), display)
            schemas = data.get("components", {}).get("schemas") if isinstance(data, dict) else None
            if not isinstance(schemas, dict):
                raise InputError(display, "no components.schemas mapping")
            self.docs[rel] = data
        return self.docs[rel]

    def schema(self, rel: str, name: str):
        schemas = self.doc(rel)["components"]["schemas"]
        if name not in schemas:
            raise InputError(f"{KIBANA_ROOT}/{rel}", f"no schema {name!r} in components.schemas")
        return schemas[name]

    def def_for(self, rel: str, name: str) -> str:
        key = (rel, name)
        if key not in self.def_names:
            self.schema(rel, name)  # fails early when the target is missing
            taken = set(self.def_names.values())
            def_name = name
            if def_name in taken:
                stem = posixpath.basename(rel).split(".")[0]
                def_name = f"{stem}.{name}"
            self.def_names[key] = def_name
            self.pending.append(key)
        return self.def_names[key]

    def ref(self, value: str, rel: str) -> str:
        match = _REF_RE.match(value) if isinstance(value, str) else None
        if not match:
            raise InputError(f"{KIBANA_ROOT}/{rel}", f"unsupported $ref {value!r}")
        target = rel
        if match["file"]:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), match["file"]))
            if target.startswith("../"):
                raise InputError(f"{KIBANA_ROOT}/{rel}", f"$ref {value!r} leaves the schema tree")
        return "#/$defs/" + self.def_for(target, match["name"])

    def convert(self, node, rel: str):
        if not isinstance(node, dict):
            raise InputError(f"{KIBANA_ROOT}/{rel}", f"schema is not a mapping: {node!r:.60}")
        out = {}
        for key, value in node.items():
            if key.startswith("x-"):
                if key == "x-modify":
                    raise InputError(
                        f"{KIBANA_ROOT}/{rel}",
                        "x-modify is not supported on the RuleCreateProps graph",
                    )
                continue
            if key in _DROPPED or key == "nullable":
                continue
            if key == "$ref":
                out["$ref"] = self.ref(value, rel)
            elif key in _SUBSCHEMA:
                out[key] = value if isinstance(value, bool) else self.convert(value, rel)
            elif key in _SUBSCHEMA_LISTS:
                if not isinstance(value, list):
                    raise InputError(f"{KIBANA_ROOT}/{rel}", f"{key} is not a list")
                out[key] = [self.convert(v, rel) for v in value]
            elif key in _SUBSCHEMA_MAPS:
                if not isinstance(value, dict):
                    raise InputError(f"{KIBANA_ROOT}/{rel}", f"{key} is not a mapping")
                out[key] = {k: self.convert(v, rel) for k, v in value.items()}
            elif key == "example":
                out["examples"] = [copy.deepcopy(value)]
            elif key == "format" and value == "nonempty":
                # Kibana's generator turns this into "not only whitespace".
                out.setdefault("minLength", 1)
                if "pattern" not in node:
                    out["pattern"] = "\\S"
            else:
                out[key] = copy.deepcopy(value)
        if node.get("nullable") is True:
            if isinstance(out.get("type"), str) and "$ref" not in out:
                out["type"] = [out["type"], "null"]
                if "enum" in out and None not in out["enum"]:
                    out["enum"] = out["enum"] + [None]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return out

    def resolve_all(self) -> None:
        while self.pending:
            rel, name = self.pending.pop(0)
            self.defs[self.def_names[(rel, name)]] = self.convert(self.schema(rel, name), rel)


def _reachable_defs(root, defs):
    """The $defs reachable from root (ResponseFields' own required_fields is replaced)."""
    keep = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref[len("#/$defs/") :]
                if name not in keep:
                    keep[name] = defs[name]
                    stack.append(defs[name])
            stack.extend(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            stack.extend(node)
    return keep


def build_kibana(ref_root: str):
    kroot = os.path.join(ref_root, KIBANA_ROOT)
    if not os.path.isdir(kroot):
        raise InputError(KIBANA_ROOT, "missing directory")
    conv = OpenApiToJsonSchema(kroot)
    root_def = conv.def_for(RULE_SCHEMAS_FILE, ROOT_SCHEMA)

    # The import route: checks the endpoint and records its API version.
    route_display = f"{KIBANA_ROOT}/{IMPORT_ROUTE_FILE}"
    route = load_yaml(os.path.join(kroot, *IMPORT_ROUTE_FILE.split("/")), route_display)
    try:
        post = route["paths"][IMPORT_PATH]["post"]
        route_version = str(route["info"]["version"])
        multipart = post["requestBody"]["content"]["multipart/form-data"]["schema"]
        multipart["properties"]["file"]
    except (KeyError, TypeError):
        raise InputError(
            route_display, f"no multipart POST {IMPORT_PATH} with a 'file' part"
        ) from None

    # RuleToImport (Kibana rule_to_import.ts, TypeScript only) is
    # RuleCreateProps & ResponseFields.partial() with rule_id required and
    # required_fields taking RequiredFieldInput items.
    response_fields = conv.convert(
        conv.schema(RULE_SCHEMAS_FILE, "ResponseFields"), RULE_SCHEMAS_FILE
    )
    props = response_fields.get("properties")
    if not isinstance(props, dict) or "rule_id" not in props:
        raise InputError(
            f"{KIBANA_ROOT}/{RULE_SCHEMAS_FILE}", "ResponseFields has no rule_id property"
        )
    props["required_fields"] = {
        "type": "array",
        "items": {"$ref": "#/$defs/" + conv.def_for(COMMON_FILE, "RequiredFieldInput")},
    }
    import_fields = {
        "type": "object",
        "description": (
            "Fields an import row may carry in addition to RuleCreateProps: the rule's "
            "ResponseFields, all optional except rule_id, which is required; required_fields "
            "takes RequiredFieldInput items. Kibana ignores id, created_*/updated_* and "
            "immutable on import."
        ),
        "properties": dict(sorted(props.items())),
        "required": ["rule_id"],
    }
    conv.resolve_all()
    if "ImportRuleFields" in conv.defs:
        raise InputError(
            f"{KIBANA_ROOT}/{RULE_SCHEMAS_FILE}", "schema name ImportRuleFields is taken"
        )
    conv.defs["ImportRuleFields"] = import_fields
    root = {"allOf": [{"$ref": f"#/$defs/{root_def}"}, {"$ref": "#/$defs/ImportRuleFields"}]}
    defs = _reachable_defs(root, conv.defs)
    added = ", ".join(sorted(props))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Kibana detection rule: one rule line of the import NDJSON (RuleToImport)",
        "description": (
            "Generated by tools/gen_schemas.py from Kibana's detection-engine OpenAPI YAML "
            f"({RULE_SCHEMAS_FILE}#/components/schemas/{ROOT_SCHEMA} and every schema it "
            "references, rewritten into $defs), for rule lines of the NDJSON accepted by "
            f"POST {IMPORT_PATH} (import route API version {route_version}). "
            "Added for import rows, following Kibana's RuleToImport: rule_id is required, and "
            f"the ResponseFields properties ({added}) are allowed as optional fields; "
            "version stays optional (Kibana sets 1 for a custom rule without one and requires it "
            "for prebuilt rules). Exported files may also hold exception-list, action-connector "
            "and export-summary lines; this schema covers rule lines only. OpenAPI-only keywords "
            "were translated: nullable -> null type, example -> examples, format nonempty -> "
            "minLength 1 plus a non-whitespace pattern; discriminator and x-* extensions dropped "
            "(the rule type is still selected by the anyOf branches' type enums)."
        ),
        "allOf": root["allOf"],
        "$defs": dict(sorted(defs.items())),
    }


# ---------------------------------------------------------------------------


def write_json(path: str, data) -> None:
    text = json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True, help="path of shared/reference")
    parser.add_argument("--out", required=True, help="output directory (tools/t1114/data/schemas)")
    args = parser.parse_args(argv)
    ref_root = os.path.abspath(args.reference)
    try:
        if not os.path.isdir(ref_root):
            raise InputError("", "reference directory is missing")
        elastic = build_elastic(ref_root)
        kibana = build_kibana(ref_root)
        os.makedirs(args.out, exist_ok=True)
        write_json(os.path.join(args.out, "elastic.json"), elastic)
        write_json(os.path.join(args.out, "kibana_rule.schema.json"), kibana)
    except InputError as exc:
        path = os.path.join(args.reference, exc.path) if exc.path else args.reference
        sys.stderr.write(f"gen_schemas: error: {path}: {exc.message}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"gen_schemas: error: {exc.filename or ''}: {exc.strerror or exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

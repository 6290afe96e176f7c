"""Import-ready artifacts: what ``t1114 build`` writes beside the per-rule queries.

Each build target packages its own compiled queries through ``Target.package`` (the Splunk
app, the Kibana rules file); coverage is written for the pack as a whole. Everything here
works from ``CompiledQuery`` objects and rule metadata, never by parsing query text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.loader import Pack, PackRule
from t1114.project import Project


@dataclass(frozen=True)
class ProjectInfo:
    """What pyproject.toml says about the pack as a product."""

    version: str
    license: str


def project_info(project: Project) -> ProjectInfo:
    path = project.pyproject
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise PackError(path, f"cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise PackError(path, f"invalid TOML: {e}") from None
    meta = data.get("project") or {}
    version = meta.get("version")
    if not isinstance(version, str) or not version:
        raise PackError(path, "[project] has no version")
    license_ = meta.get("license")
    if isinstance(license_, dict):
        license_ = license_.get("text")
    return ProjectInfo(version, license_ if isinstance(license_, str) and license_ else "DRL-1.1")


@dataclass(frozen=True)
class Bundle:
    """The compiled pack, as the packagers see it."""

    pack: Pack
    compiled: tuple[CompiledQuery, ...]
    info: ProjectInfo

    def rules_for(self, target: str) -> list[tuple[PackRule, CompiledQuery]]:
        """The rules compiled for one target with their queries, in the pack's rule order."""
        by_id = {q.rule_id: q for q in self.compiled if q.target == target}
        return [(rule, by_id[rule.id]) for rule in self.pack.rules if rule.id in by_id]

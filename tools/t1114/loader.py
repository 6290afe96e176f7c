"""Load the pack: every Sigma rule file under sigma/, parsed by pySigma, references resolved.

Conventions enforced here because nothing downstream can work without them: one rule per
file, the file named after the rule's ``name``. Everything else is the validator's job.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule
from sigma.rule.base import SigmaRuleBase

from t1114.errors import PackError, PackErrors
from t1114.project import Project
from t1114.safeyaml import load_yaml_documents
from t1114.tuning import load_tuning

RULE_SUFFIXES = (".yml", ".yaml")


@dataclass
class PackRule:
    """A Sigma rule together with the file it came from."""

    path: Path
    sigma: SigmaRuleBase
    doc: dict = field(default_factory=dict, repr=False)  # the YAML document, for re-parsing

    @property
    def id(self) -> str:
        return str(self.sigma.id) if self.sigma.id else ""

    @property
    def name(self) -> str:
        return self.sigma.name or ""

    @property
    def title(self) -> str:
        return self.sigma.title

    @property
    def level(self) -> str:
        return self.sigma.level.name.lower() if self.sigma.level else ""

    @property
    def is_correlation(self) -> bool:
        return isinstance(self.sigma, SigmaCorrelationRule)

    @property
    def custom(self) -> dict:
        return self.sigma.custom_attributes

    @property
    def analytic(self) -> str | None:
        return self.custom.get("analytic")

    @property
    def detection_strategy(self) -> str | None:
        return self.custom.get("detection_strategy")

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.sigma.tags]

    @property
    def referenced_names(self) -> list[str]:
        if not isinstance(self.sigma, SigmaCorrelationRule):
            return []
        return [ref.reference for ref in self.sigma.rules or []]

    @property
    def logsource(self):
        return self.sigma.logsource if isinstance(self.sigma, SigmaRule) else None

    def references(self, other: PackRule) -> bool:
        return other.name in self.referenced_names or other.id in self.referenced_names


@dataclass
class Pack:
    project: Project
    rules: list[PackRule]
    # The tuning file's lists (config/tuning.yml), which every target writes into its queries.
    tuning: dict = field(default_factory=dict)

    def find(self, ref: str) -> PackRule | None:
        for rule in self.rules:
            if ref in (rule.name, rule.id):
                return rule
        return None

    def collection(self, rules: Iterable[PackRule] | None = None) -> SigmaCollection:
        """A fresh pySigma collection (pipelines mutate rules, so every use gets its own).

        Correlation rules pull in the rules they reference.
        """
        chosen = list(rules) if rules is not None else self.rules
        wanted: dict[str, PackRule] = {}
        for rule in chosen:
            wanted[rule.id] = rule
            for ref in rule.referenced_names:
                if (dep := self.find(ref)) is not None:
                    wanted[dep.id] = dep
        parsed = [
            _parse_rule_dict(r.path, copy.deepcopy(r.doc))[0] for r in self.sorted(wanted.values())
        ]
        collection = SigmaCollection(parsed)  # type: ignore[arg-type]  # rules and correlations only
        collection.resolve_rule_references()
        return collection

    @staticmethod
    def sorted(rules: Iterable[PackRule]) -> list[PackRule]:
        return sorted(rules, key=lambda r: (r.is_correlation, r.name))


def _parse_rule_dict(path: Path, doc: dict) -> tuple[SigmaRuleBase, list[str]]:
    location = SigmaRuleLocation(path)
    if "correlation" in doc:
        rule: SigmaRuleBase = SigmaCorrelationRule.from_dict(doc, collect_errors=True)
    else:
        rule = SigmaRule.from_dict(doc, collect_errors=True)
    rule.source = location
    return rule, [_sigma_message(e) for e in rule.errors]


def _sigma_message(error: Exception) -> str:
    text = str(error)
    # pySigma appends the location; the caller already names the file.
    return text.split(" (in ")[0] if isinstance(error, SigmaError) else text


def rule_files(project: Project, paths: Iterable[Path] | None = None) -> list[Path]:
    roots = [Path(p) for p in paths] if paths else [project.rules_dir]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            # Not is_file(): a dangling link must surface as "cannot read", not vanish.
            files.extend(p for p in root.rglob("*") if p.suffix in RULE_SUFFIXES and not p.is_dir())
        elif root.exists() or root.is_symlink():
            files.append(root)
        else:
            raise PackError(root, "no such file or directory")
    return sorted(set(files))


def load_rule_file(path: Path) -> PackRule:
    docs = load_yaml_documents(path)
    if len(docs) != 1:
        raise PackError(
            path, f"expected exactly one Sigma rule per file, found {len(docs)} documents"
        )
    doc = docs[0]
    if not isinstance(doc, dict):
        raise PackError(path, f"a Sigma rule must be a mapping, not {type(doc).__name__}")
    try:
        rule, errors = _parse_rule_dict(path, copy.deepcopy(doc))
    except SigmaError as e:
        raise PackError(path, _sigma_message(e)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        # pySigma raises plain Python errors on some malformed shapes (a list where a map goes).
        raise PackError(path, f"malformed Sigma rule: {e}") from None
    if errors:
        raise PackError(path, "; ".join(errors))
    if not rule.name:
        raise PackError(path, "rule has no 'name' (the pack refers to rules by name)")
    if path.stem != rule.name:
        raise PackError(path, f"file name must match the rule name '{rule.name}'")
    return PackRule(path, rule, doc)


def load_pack(project: Project, paths: Iterable[Path] | None = None) -> Pack:
    """Every rule file parsed; all problems are collected and raised together."""
    errors: list[PackError] = []
    rules: list[PackRule] = []
    for path in rule_files(project, paths):
        try:
            rules.append(load_rule_file(path))
        except PackError as e:
            errors.append(e)
    if errors:
        raise PackErrors(errors)
    pack = Pack(project, Pack.sorted(rules), load_tuning(project.tuning_file))
    _check_unique(pack)
    _check_references(pack)
    return pack


def _check_unique(pack: Pack) -> None:
    """Rules are found by id and by name, so neither may repeat."""
    errors = []
    for attr in ("id", "name"):
        first: dict[str, PackRule] = {}
        for rule in pack.rules:
            key = getattr(rule, attr).lower()
            if key in first:
                errors.append(
                    PackError(
                        rule.path,
                        f"{attr} '{getattr(rule, attr)}' is already used by {first[key].path}",
                    )
                )
            else:
                first[key] = rule
    if errors:
        raise PackErrors(errors)


def _check_references(pack: Pack) -> None:
    errors = []
    for rule in pack.rules:
        for ref in rule.referenced_names:
            if pack.find(ref) is None:
                errors.append(PackError(rule.path, f"correlation refers to unknown rule '{ref}'"))
    if errors:
        raise PackErrors(errors)

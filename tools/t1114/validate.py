"""``t1114 validate``: everything that can be wrong with the pack before it is built.

Sigma parse errors (from the loader), pySigma's validators including SigmaHQ's (configured by
config/validators.yml), the pack's conventions, fixture files and their coverage, and the
fields each compiled query uses against the target's schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sigma.exceptions import SigmaConfigurationError
from sigma.plugins import InstalledSigmaPlugins
from sigma.validation import SigmaValidator

from t1114 import conventions
from t1114.attack import use_offline_attack_data
from t1114.errors import PackError, PackErrors
from t1114.fixtures import FixtureFile, coverage_gaps, load_fixtures
from t1114.loader import Pack
from t1114.safeyaml import load_yaml_documents
from t1114.targets import all_targets, applicable_rules, build_targets
from t1114.validator_data import use_offline_validator_data


@dataclass(frozen=True)
class Finding:
    path: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.check}] {self.message}"


def sigma_validator(config_path: Path) -> SigmaValidator:
    use_offline_attack_data()
    use_offline_validator_data()
    docs = load_yaml_documents(config_path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise PackError(config_path, "validator configuration must be one YAML mapping")
    try:
        # The plugins hold validator classes, which pySigma's annotation calls instances.
        validators = InstalledSigmaPlugins.autodiscover().validators
        return SigmaValidator.from_dict(docs[0], validators)  # type: ignore[arg-type]
    except SigmaConfigurationError as e:
        raise PackError(config_path, str(e)) from None


def run_sigma_validators(pack: Pack) -> list[Finding]:
    validator = sigma_validator(pack.project.validators_config)
    paths = {r.id: pack.project.relative(r.path) for r in pack.rules}
    issues = []
    findings = set()
    for rule in pack.collection():
        try:
            # Correlation rules are validated too; pySigma's annotation names only SigmaRule.
            issues.extend(validator.validate_rule(rule))  # type: ignore[arg-type]
        except Exception as e:  # a validator that chokes on a rule is a finding about that rule
            findings.add(
                Finding(
                    paths.get(str(rule.id), str(rule.source)),
                    "validator_error",
                    f"{type(e).__name__}: {e}",
                )
            )
    issues.extend(validator.finalize())
    for issue in issues:
        for rule in issue.rules:
            check = type(issue).__name__
            findings.add(
                Finding(paths.get(str(rule.id), str(rule.source)), check, issue.description)
            )
    return sorted(findings, key=lambda f: (f.path, f.check, f.message))


def run_conventions(pack: Pack) -> list[Finding]:
    findings = set()
    for check in conventions.CHECKS:
        for rule, message in check(pack):
            findings.add(Finding(pack.project.relative(rule.path), check.__name__, message))
    return sorted(findings, key=lambda f: (f.path, f.check, f.message))


def run_fixture_checks(pack: Pack, fixtures: list[FixtureFile] | None = None) -> list[Finding]:
    try:
        fixtures = load_fixtures(pack) if fixtures is None else fixtures
    except PackErrors as e:
        return [
            Finding(pack.project.relative(x.path or ""), "fixtures", x.message) for x in e.errors
        ]
    targets = list(all_targets().values())
    shapes = sorted({t.shape for t in targets})
    findings = [
        Finding(
            pack.project.relative(case.file),
            "fixture_written_once",
            f"case '{case.name}' writes its events once per shape; write them once, in their raw form "
            "(fixtures/README.md), and let the shape renderers derive the rest",
        )
        for f in fixtures
        for case in f.cases
        if not case.written_once
    ]
    return findings + [
        Finding(pack.project.relative(g.path or ""), "fixture_coverage", g.message)
        for g in coverage_gaps(pack, fixtures, shapes, exempt_from_coverage(pack, targets))
    ]


def exempt_from_coverage(pack: Pack, targets) -> set[tuple[str, str]]:
    """(rule id, shape) pairs no target of that shape applies to: they need no fixture cases."""
    needed = {(r.id, t.shape) for t in targets for r in applicable_rules(t, pack)}
    return {(r.id, t.shape) for t in targets for r in pack.rules} - needed


def run_schema_checks(pack: Pack) -> list[Finding]:
    findings = []
    for target in build_targets().values():
        for rule in pack.rules:
            try:
                compiled = target.compile_rule(
                    pack.collection([rule]),
                    rule.id,
                    pack.project.relative(rule.path),
                    tuning=pack.tuning,
                )
            except PackError as e:
                findings.append(
                    Finding(pack.project.relative(rule.path), f"compile_{target.name}", e.message)
                )
                continue
            if compiled is None:
                continue
            for message in target.unknown_fields(compiled):
                findings.append(
                    Finding(pack.project.relative(rule.path), f"schema_{target.name}", message)
                )
    return findings


def run_procedure_checks(pack: Pack) -> list[Finding]:
    """The procedure catalogue's claims against the rules and fixtures (when the pack has one)."""
    from t1114 import procedures

    path = pack.project.root / procedures.CATALOGUE
    if not path.is_file():
        return []
    try:
        procedures.load_checked(pack)
    except PackError as e:
        return [Finding(pack.project.relative(e.path or path), "procedures", e.message)]
    except PackErrors as e:
        return [
            Finding(pack.project.relative(x.path or path), "procedures", x.message)
            for x in e.errors
        ]
    return []


def validate(pack: Pack) -> list[Finding]:
    return (
        run_sigma_validators(pack)
        + run_conventions(pack)
        + run_fixture_checks(pack)
        + run_schema_checks(pack)
        + run_procedure_checks(pack)
    )

"""Where the pack's inputs live. Everything the tool reads is found from the project root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from t1114.errors import PackError


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def rules_dir(self) -> Path:
        return self.root / "sigma"

    @property
    def fixtures_dir(self) -> Path:
        return self.root / "fixtures"

    @property
    def validators_config(self) -> Path:
        return self.root / "config" / "validators.yml"

    @property
    def tuning_file(self) -> Path:
        return self.root / "config" / "tuning.yml"

    @property
    def fixture_tuning_file(self) -> Path:
        """The tuning the fixtures are written for, so they hold whatever config/tuning.yml says."""
        return self.fixtures_dir / "tuning.yml"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    def relative(self, path: Path | str) -> str:
        """A path as users see it in messages: relative to the root when inside it."""
        p = Path(path)
        try:
            return str(p.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(p)


def find_project(start: Path | str | None = None) -> Project:
    """The nearest directory at or above ``start`` (or $T1114_ROOT) that holds a pack."""
    env = os.environ.get("T1114_ROOT")
    here = Path(env or start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "sigma").is_dir() and (candidate / "pyproject.toml").is_file():
            return Project(candidate)
    raise PackError(
        here, "not inside a T1114 pack (no directory with sigma/ and pyproject.toml above it)"
    )

"""Artifact intake: a directory, an archive, or a workflow-run artifact -> files to deploy.

(Being built in issue #2; the types below are the contract the platforms use.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArtifactFile:
    """One regular file of the artifact: its relative POSIX ``path`` (no leading slash), where
    its bytes are on disk (``source``; archives are extracted first) and its ``size``."""

    path: str
    source: Path
    size: int


@dataclass
class Artifact:
    """The files to deploy, walked once, in path order."""

    root: Path
    files: list[ArtifactFile]
    #: how the user named it, for messages ("dist/", "site.zip", "artifact 'web'")
    label: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

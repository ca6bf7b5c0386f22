#!/usr/bin/env python3
"""Point action.yml at a published image: the one file a release commit changes.

On ``main``, action.yml says ``image: Dockerfile`` so CI and ``uses: owner/repo@main`` build the
unreleased code. The release pipeline (.github/workflows/release.yml) pushes a multi-arch image,
then runs::

    python3 scripts/release_action_yml.py --image ghcr.io/owner/ci-deploy:1.2.3 --digest sha256:...

which rewrites the ``image:`` line under ``runs:`` to
``docker://ghcr.io/owner/ci-deploy:1.2.3@sha256:...``: users of the release tags pull that exact,
attested image instead of building the Dockerfile on every run. The tag stays for people reading
it; the digest is what Docker resolves.

Only that one line changes (comments, order and quoting elsewhere are kept), so the release
commit's diff is easy to review. Standard library only: it runs on a bare runner.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: registry/path:tag, lower case as registries require (GHCR refuses upper-case names).
_IMAGE = re.compile(r"^[a-z0-9.-]+(?::[0-9]+)?(?:/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
#: the ``image:`` key of the ``runs:`` block, indented under it, with any value and comment.
_RUNS_IMAGE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*\S.*$", re.MULTILINE)


class ReleaseError(ValueError):
    """The image, the digest or action.yml cannot make a release; the message says which."""


def image_reference(image: str, digest: str) -> str:
    """``docker://<image:tag>@<digest>``, after checking both halves."""
    if not _IMAGE.fullmatch(image):
        raise ReleaseError(
            f"--image {image!r} is not a lower-case registry/name:tag reference "
            "(e.g. ghcr.io/owner/ci-deploy:1.2.3)"
        )
    if not _DIGEST.fullmatch(digest):
        raise ReleaseError(f"--digest {digest!r} is not sha256:<64 lower-case hex digits>")
    return f"docker://{image}@{digest}"


def pin_image(action_yml: str, reference: str) -> str:
    """action.yml's text with the ``runs:`` block's ``image:`` set to ``reference``.

    Exactly one ``image:`` line must follow ``runs:`` (a Docker action); anything else is refused
    rather than guessed at."""
    head, separator, runs = action_yml.partition("\nruns:\n")
    if not separator:
        raise ReleaseError("action.yml has no top-level `runs:` block")
    block_end = re.search(r"^\S", runs, re.MULTILINE)
    block, rest = (runs[: block_end.start()], runs[block_end.start() :]) if block_end else (runs, "")
    if not re.search(r"^[ \t]+using:[ \t]*['\"]?docker['\"]?[ \t]*$", block, re.MULTILINE):
        raise ReleaseError("action.yml's `runs:` is not `using: docker`")
    found = _RUNS_IMAGE.findall(block)
    if len(found) != 1:
        raise ReleaseError(f"action.yml's `runs:` needs exactly one `image:` line, found {len(found)}")
    pinned = _RUNS_IMAGE.sub(lambda match: f"{match.group('indent')}image: {reference}", block)
    return head + separator + pinned + rest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pin action.yml's runs.image to a published image.")
    parser.add_argument("--image", required=True, help="registry/name:tag, e.g. ghcr.io/o/ci-deploy:1.2.3")
    parser.add_argument("--digest", required=True, help="the pushed manifest list's sha256:... digest")
    parser.add_argument("--action-yml", type=Path, default=Path("action.yml"), help="default: action.yml")
    args = parser.parse_args(argv)
    try:
        reference = image_reference(args.image, args.digest)
        text = args.action_yml.read_text(encoding="utf-8")
        args.action_yml.write_text(pin_image(text, reference), encoding="utf-8")
    except (ReleaseError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.action_yml}: runs.image = {reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

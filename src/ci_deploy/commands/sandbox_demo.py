"""``ci-deploy deploy --sandbox``: the README demo. Starts a sandbox in this process, deploys
into it with the same pipeline a real deploy uses, prints the live URL as the last stdout line,
and keeps serving until Ctrl-C (or exits at once with ``--no-serve``).

The sandbox is its own distribution (``ci-deploy-sandbox``, in the checkout's sandbox/), absent
from the runtime wheel and image; the two sandbox commands import it lazily and, when it is not
installed, say how to get it (:func:`sandbox_not_installed`).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path

SANDBOX_PACKAGE = "ci_deploy_sandbox"


def sandbox_not_installed(command: str, error: ModuleNotFoundError) -> int:
    """One line saying how to install the sandbox, exit code 2. ``error`` is re-raised unless it
    is the sandbox package itself that is missing (a broken install is not a missing one)."""
    if error.name != SANDBOX_PACKAGE:
        raise error
    print(
        f"{command}: the sandbox is a separate package; install it with: pip install ./sandbox "
        "(from a ci-deploy checkout), or run scripts/demo",
        file=sys.stderr,
    )
    return 2


def demo_site() -> Path:
    """The bundled demo site, deployed when no artifact is given."""
    return Path(str(resources.files("ci_deploy") / "demo"))


def sandbox_inputs(inputs: Mapping[str, str]) -> dict[str, str]:
    """``inputs`` with the demo's defaults: cloudflare-pages, project ``demo``, the demo site."""
    merged = dict(inputs)
    merged.setdefault("platform", "cloudflare-pages")
    merged.setdefault("project", "demo")
    merged.setdefault("artifact", str(demo_site()))
    merged.setdefault("env-required", "none")
    return merged


def deploy_into_sandbox(
    inputs: Mapping[str, str],
    environ: Mapping[str, str],
    *,
    state_dir: str | None,
    serve: bool,
    guard: Callable[[Callable[[], int], Mapping[str, str]], int],
) -> int:
    try:
        from ci_deploy_sandbox.runtime import Sandbox
    except ModuleNotFoundError as error:
        return sandbox_not_installed("ci-deploy deploy --sandbox", error)
    from ci_deploy.commands.dispatch import run

    sandbox = Sandbox(state_dir).start()
    # A local run: no GitHub event, no workflow token, nothing from an outer Actions job; the
    # sandbox's token, account and API come in as the platforms' usual variables.
    local_env = {k: v for k, v in environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    local_env.update({k: v for k, v in sandbox.env().items() if not k.startswith("GITHUB_")})
    try:
        code = guard(lambda: run(sandbox_inputs(inputs), local_env), local_env)
        if code == 0 and serve:
            print("Serving the sandbox until Ctrl-C ...", file=sys.stderr, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return code
    finally:
        sandbox.stop()

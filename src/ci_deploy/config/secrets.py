"""Every secret of a run, registered once, before anything can echo it.

The secret inputs (given or read from the env), every health-check header value, the password
of any URL the run will use (``api-url``, absolute health-check URLs, the proxy variables) and
the token-bearing parts of webhook URLs are masked: the runner hides them in the log, and
:mod:`ci_deploy.redaction` hides them (and their base64 and URL-encoded forms) in every other
channel. ``${NAME}`` values of ``env`` are masked as :mod:`ci_deploy.config.envvars` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from ci_deploy import redaction, runner
from ci_deploy.config import observe
from ci_deploy.config import values as parse
from ci_deploy.config.inputs import INPUTS
from ci_deploy.errors import InputError

#: proxy variables httpx reads; a password in one of them is masked like a token
_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def mask_secrets(raw: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """Mask every secret before anything can echo it: the secret inputs (given or read from the
    env, which must be visible ASCII: they go into HTTP headers), health-check header values, and
    the password of any URL (``api-url``, absolute health-check URLs, the proxy variables)."""
    for name, spec in INPUTS.items():
        if spec.secret and raw[name]:
            runner.mask(raw[name])
            try:
                parse.check_secret_text(raw[name])
            except parse.InvalidValue as exc:
                raise InputError(str(exc), input_name=name) from None
    for line in raw["health-check-headers"].splitlines():
        _name, colon, value = line.partition(":")
        if colon:
            _mask_header_value(value.strip())
    urls = [raw["api-url"], *raw["health-check"].split(), *(environ.get(v, "") for v in _PROXY_VARIABLES)]
    for url in urls:
        password = redaction.url_password(url)
        runner.mask(password)
        runner.mask(unquote(password))
    for name in ("notify-webhook", "notify-slack-webhook"):
        for part in observe.secret_url_parts(raw[name]):
            runner.mask(part)


def _mask_header_value(value: str) -> None:
    """A health-check header value is a secret whatever the header is called (a WAF's bypass
    header, a shared ``User-Agent`` may be named anything): the value, and the credentials after
    an auth scheme (``Bearer <token>``) on their own. A value shorter than
    :data:`ci_deploy.redaction.MIN_LENGTH` (``X-Debug: on``) is not masked, as for every secret:
    hiding "on" would garble every line."""
    _scheme, blank, credentials = value.partition(" ")
    for part in (value, credentials.strip() if blank else ""):
        if redaction.maskable(part):
            runner.mask(part)

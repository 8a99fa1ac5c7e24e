"""The one check that secret values are set where connectfile runs (pure; SPEC §2).

plan and apply refuse to go on while a secret is unset or empty (an empty value is never
sent); `validate` shows the same issues as warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connectfile.config.locate import key_location
from connectfile.config.model import App, Project
from connectfile.errors import Issue, SecretNotSetError

MESSAGE = ("{name} is not set in the environment (secret values come from the deploying "
           "environment: export it, or add it to your CI secrets)")


def unset_secrets(
    project: Project,
    app: App,
    environ: Mapping[str, str],
    *,
    target: str | None = None,
    names: Iterable[str] | None = None,
) -> list[Issue]:
    """One issue per secret of `app` (or of `names` only) that is unset or empty."""
    where = key_location(project, app.key, "secrets", app.target if target is None else target)
    return [
        Issue(source=where.source, line=where.line, path=where.path,
              message=MESSAGE.format(name=name))
        for name in (app.secrets if names is None else names)
        if not environ.get(name)
    ]


def check_secrets(
    project: Project,
    apps: Iterable[App],
    environ: Mapping[str, str],
    *,
    target: str | None = None,
    only: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Raise SecretNotSetError listing every unset secret of `apps`.

    `only` narrows an app (by key) to the secrets a plan will actually send.
    """
    problems = [
        issue
        for app in apps
        for issue in unset_secrets(project, app, environ, target=target,
                                   names=None if only is None else only.get(app.key, ()))
    ]
    if problems:
        raise SecretNotSetError(problems)

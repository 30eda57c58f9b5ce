"""Rendering: one update's facts into one message per channel, from Jinja2 templates.

Every channel renders from the same :class:`~candor.model.Update`, so status,
scope and times are the same everywhere; only the form differs (long for status
pages and email, short for social posts and chat). Templates run in Jinja2's
sandbox with ``StrictUndefined``: a missing variable is an error naming the
template and the variable, never an empty string in a customer's inbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from candor._template_cache import template_cache
from candor.errors import TemplateError
from candor.length import URL, graphemes, measure
from candor.model import Effect, Incident, Organization, Scope, Status, Update, UpdateKind
from candor.vocabulary import Capabilities, Form, Message

__all__ = ["Message", "Renderer", "describe_scope", "format_fraction"]


def format_fraction(fraction: float) -> str:
    """A share of customers as a percentage, never rounded up to 100% or down to 0%."""
    if fraction >= 1.0:
        return "100%"
    percent = fraction * 100
    for digits in range(2, 8):
        text = f"{percent:.{digits}g}"
        if 0 < float(text) < 100:
            return f"{text}%"
    return f"{percent}%"


def _join(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def describe_scope(scope: Scope) -> dict[str, str]:
    """Plain sentences that state a scope precisely, shared by every template.

    ``what``: what is broken and where; ``who``: for whom, with the fraction and
    count when known (and saying so when not); ``for_you``: the plain line to the
    customers it hits; and the parts (``components``, ``where``, ``verb``,
    ``was``, ``state``) for templates that build their own sentences.
    """
    components = _join(scope.components)
    plural = len(scope.components) > 1
    where = f" in {_join(scope.regions)}" if scope.regions else ""
    customers = scope.customers or "customers"
    if scope.effect is Effect.OUTAGE:
        what = f"{components} {'are' if plural else 'is'} down{where}"
        for_you = (
            f"If you are one of them, {components} {'are' if plural else 'is'} "
            "not working for you at all."
        )
    else:
        what = f"{components} {'are' if plural else 'is'} slow or failing requests{where}"
        for_you = f"If you are one of them, expect {components} to be slow and unreliable."
    count = f"{scope.affected_count:,} {customers}" if scope.affected_count is not None else None
    if scope.everyone:
        who = f"all of our {customers}" + (f" ({count})" if count else "")
        for_you = for_you.replace("If you are one of them, ", "For every one of you, ")
    elif scope.affected_fraction is not None:
        who = f"{format_fraction(scope.affected_fraction)} of our {customers}"
        who += f" ({count})" if count else ""
    elif count:
        who = count
    else:
        who = f"the {customers} who use it; we do not yet know how many"
    return {
        "what": what,
        "who": who,
        "for_you": for_you,
        "components": components,
        "where": where,
        "verb": "are" if plural else "is",
        "was": "were" if plural else "was",
        "state": "down" if scope.effect is Effect.OUTAGE else "slow or failing requests",
    }


class Renderer:
    """Renders updates with the default template pack, or a folder of your own over it.

    Templates are looked up as ``{form}/{status}.j2`` (``short/identified.j2``); a
    ``templates_dir`` of your own is searched first, so you override one file at
    a time. Every template runs sandboxed.
    """

    def __init__(
        self,
        organization: Organization | None = None,
        *,
        templates_dir: str | Path | None = None,
    ) -> None:
        self.organization = organization or Organization()
        self.templates_dir = Path(templates_dir) if templates_dir is not None else None
        self._zone = ZoneInfo(self.organization.timezone)
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = self._make_env()
        return self._env

    def _make_env(self) -> jinja2.Environment:
        loaders: list[jinja2.BaseLoader] = []
        if self.templates_dir is not None:
            loaders.append(jinja2.FileSystemLoader(self.templates_dir))
        loaders.append(jinja2.PackageLoader("candor", "templates"))
        env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # templates do not change under a running process
        )
        env.filters["at"] = self.at
        env.filters["percent"] = format_fraction
        env.filters["day"] = self.day
        env.filters["sentence"] = _sentence
        env.bytecode_cache = template_cache(env)  # a fresh process loads what another compiled
        return env

    def load_all(self) -> None:
        """Compile every template of every form and status now.

        A syntax error in a template of your own then fails when the communicator
        is built, not in the middle of an incident; and no update pays for
        compiling its template.
        """
        for form in Form:
            for status in Status:
                name = f"{form.value}/{status.value}.j2"
                try:
                    self.env.get_template(name)
                except jinja2.TemplateSyntaxError as exc:
                    raise TemplateError(
                        exc.name or name, f"syntax error on line {exc.lineno}: {exc.message}"
                    ) from None
                except jinja2.TemplateNotFound as exc:
                    raise TemplateError(name, f"template not found ({exc.name})") from None

    def at(self, when: datetime | None) -> str:
        """A time as customers read it: ``14:30 UTC``, in the organisation's time zone."""
        if when is None:
            raise TemplateError("<filter at>", "no time to format", variable="when")
        local = when.astimezone(self._zone)
        return local.strftime("%H:%M ") + (local.tzname() or self.organization.timezone)

    def day(self, when: datetime | None) -> str:
        """A date as customers read it: ``25 November 2026``."""
        if when is None:
            raise TemplateError("<filter day>", "no date to format", variable="when")
        local = when.astimezone(self._zone)
        return f"{local.day} {local:%B %Y}"

    def incident_url(self, incident_id: str) -> str | None:
        base = self.organization.status_page_url
        return f"{base.rstrip('/')}/incidents/{incident_id}.html" if base else None

    def render(
        self,
        incident: Incident,
        update: Update,
        *,
        channel: str,
        capabilities: Capabilities | None = None,
    ) -> Message:
        """The message ``channel`` gets for ``update``, fitted to its length limit.

        Length is counted the way the channel's service counts it. When the long
        form does not fit, the short form is used; when that does not fit either,
        only the free-text message is cut, at a word boundary (or, for text with no
        spaces, a grapheme boundary), never inside a URL or a mention. Status,
        scope, next-update time and link are never cut.
        """
        capabilities = capabilities or Capabilities()
        limit = capabilities.max_length
        unit = capabilities.length_unit
        form = capabilities.form
        text = self._render(self._name(form, update), incident, update, update.message)
        if limit is not None and measure(text, unit) > limit:
            if form is not Form.SHORT:
                form = Form.SHORT
                text = self._render(self._name(form, update), incident, update, update.message)
            if measure(text, unit) > limit:
                text = self._fit(self._name(form, update), incident, update, limit, unit)
        return Message(
            channel=channel,
            form=form,
            title=incident.title,
            text=text,
            incident_id=incident.id,
            update_id=update.id,
            seq=update.seq,
            status=update.status,
            next_update_by=update.next_update_by,
            url=self.incident_url(incident.id),
        )

    @staticmethod
    def _name(form: Form, update: Update) -> str:
        # A holding update and the write-up have templates of their own; every other
        # update is rendered by its status.
        if update.kind in (UpdateKind.HOLDING, UpdateKind.POSTMORTEM):
            return f"{form.value}/{update.kind.value}.j2"
        return f"{form.value}/{update.status.value}.j2"

    def _fit(self, name: str, incident: Incident, update: Update, limit: int, unit: str) -> str:
        def attempt(cut: str) -> str | None:
            text = self._render(name, incident, update, cut.rstrip() + "…")
            return text if measure(text, unit) <= limit else None

        best = _largest(_cut_points(update.message), attempt)
        if best is None:
            raise TemplateError(
                name,
                f"the facts alone need more than {limit} {unit}; shorten the title, "
                "component or region names",
            )
        return best

    def _render(self, name: str, incident: Incident, update: Update, message: str) -> str:
        context: dict[str, Any] = {
            "organization": self.organization,
            "incident": incident,
            "update": update,
            "message": message.strip(),
            "scope": update.scope,
            "facts": describe_scope(update.scope),
            "reopened": update.kind is UpdateKind.REOPEN,
            "cause": update.cause or incident.cause,
            "status_label": "Reopened"
            if update.kind is UpdateKind.REOPEN
            else update.status.value.capitalize(),
            "back_step": update.is_back_step,
            "write_up": update.write_up,
            "late": update.promised_by is not None and update.created_at > update.promised_by,
            "url": self.incident_url(incident.id),
            "status_page_url": self.organization.status_page_url,
        }
        try:
            text = self.env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(name, f"template not found ({exc.name})") from None
        except jinja2.UndefinedError as exc:
            found = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc))
            variable = next((g for g in found.groups() if g), None) if found else None
            raise TemplateError(
                name, f"undefined variable {variable or str(exc)!r}", variable=variable
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(name, f"syntax error on line {exc.lineno}: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(name, str(exc)) from None
        return _tidy(text)


_UNBREAKABLE = re.compile(URL.pattern + r"|[@#][\w.-]+", re.IGNORECASE)


def _cut_points(message: str) -> list[str]:
    """Prefixes of ``message`` it may be cut to, shortest first.

    Word boundaries first; where the message has too few spaces (Chinese or
    Japanese, say), grapheme boundaries too, but never inside a URL, mention or
    hashtag.
    """
    words = [match.end() for match in re.finditer(r"\S+", message)]
    prefixes = {message[:end] for end in words[:-1]} | {""}
    if len(words) <= 3:
        protected = [(m.start(), m.end()) for m in _UNBREAKABLE.finditer(message)]
        position = 0
        for cluster in graphemes(message):
            position += len(cluster)
            if not any(start < position < end for start, end in protected):
                prefixes.add(message[:position])
    prefixes.discard(message)
    return sorted(prefixes, key=len)


def _largest(candidates: list[str], attempt: Callable[[str], str | None]) -> str | None:
    """The result of ``attempt`` on the longest candidate it accepts (accepting is monotone)."""
    low, high, best = 0, len(candidates) - 1, None
    while low <= high:
        middle = (low + high) // 2
        result = attempt(candidates[middle])
        if result is not None:
            best, low = result, middle + 1
        else:
            high = middle - 1
    return best


def _sentence(text: str) -> str:
    """Text that ends as a sentence does, so templates can follow it with another."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))

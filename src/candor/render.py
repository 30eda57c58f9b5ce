"""Rendering: one update's facts into one message per channel, from Jinja2 templates.

Every channel renders from the same :class:`~candor.model.Update`, so status,
scope and times are the same everywhere; only the form differs (long for status
pages and email, short for social posts and chat). Templates run in Jinja2's
sandbox with ``StrictUndefined``: a missing variable is an error naming the
template and the variable, never an empty string in a customer's inbox.

This module is over 500 lines because the renderer, the fitting of short forms
and the budget that bounds a user's template all work on the one sandboxed
environment; the budget is the part that could move to a module of its own.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextvars import ContextVar
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from types import BuiltinMethodType, TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import nodes
from jinja2.nodes import EvalContext
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from candor._template_cache import template_cache
from candor.errors import CandorError, TemplateError
from candor.length import grapheme_ends, measure
from candor.model import (
    Effect,
    Incident,
    Organization,
    Scope,
    Status,
    Update,
    UpdateKind,
    describe_duration,
    minute_up,
)
from candor.vocabulary import Capabilities, Form, Message, TemplateLimits

__all__ = [
    "Message",
    "Renderer",
    "TemplateLimits",
    "describe_scope",
    "format_fraction",
    "is_plural",
]


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


# Names that end in "s" and still take a singular verb: products and words that are not
# plurals ("Kubernetes is", "Status is", "Analytics is").
_SINGULAR_NAMES = frozenset(
    {
        "analytics",
        "atlas",
        "canvas",
        "express",
        "jenkins",
        "kubernetes",
        "news",
        "postgres",
        "series",
        "status",
    }
)


def is_plural(names: tuple[str, ...]) -> bool:
    """Whether ``names``, as one subject, takes a plural verb: "API and Dashboard are".

    One name is plural when its last word reads as an English plural: it ends in a
    lowercase "s" after a letter, not in "ss", "us" or "is" ("Webhooks", "Git
    Operations"; not "Status", "Analysis", "DNS" or "Kubernetes").
    """
    if len(names) > 1:
        return True
    words = names[0].split()
    if not words:
        return False
    last = words[-1].strip(".,;:!?()[]\"'")
    if last.casefold() in _SINGULAR_NAMES or len(last) < 3:
        return False
    return bool(re.fullmatch(r"[A-Za-z][\w-]*[A-Za-z]s", last)) and not last.endswith(
        ("ss", "us", "is")
    )


def describe_scope(scope: Scope) -> dict[str, str]:
    """Plain sentences that state a scope precisely, shared by every template.

    ``what``: what is broken and where, in the present tense; ``what_was``: the same in
    the past, for a resolution; ``who``: for whom, with the fraction and count when known
    (and saying so when not); ``for_you``: the plain line to the customers it hits;
    ``lead``: the sentence an update opens with (``what`` for ``who``, then
    ``for_you``); and the parts (``components``, ``where``, ``verb`` and ``was``, the
    pronoun ``it`` and ``It``, ``state``) for templates that build their own sentences.
    Every verb agrees with the components: "Webhooks are down", "API and Dashboard were
    slow" (see :func:`is_plural`).
    """
    components = _join(scope.components)
    plural = is_plural(scope.components)
    verb, past = ("are", "were") if plural else ("is", "was")
    where = f" in {_join(scope.regions)}" if scope.regions else ""
    customers = scope.customers or "customers"
    everyone = scope.everyone
    if scope.effect is Effect.OUTAGE:
        state = "down"
        effect = f"{components} {verb} not working {'at all' if everyone else 'for you at all'}."
    else:
        state = "slow or unreliable"
        effect = f"expect {components} to be slow and unreliable."
    # One "for you" to the reader: "For every one of you, X is not working at all."
    for_you = ("For every one of you, " if everyone else "If you are one of them, ") + effect
    count = f"{scope.affected_count:,} {customers}" if scope.affected_count is not None else None
    if everyone:
        who = f"all of our {customers}" + (f" ({count})" if count else "")
    elif scope.affected_fraction is not None:
        who = f"{format_fraction(scope.affected_fraction)} of our {customers}"
        who += f" ({count})" if count else ""
    elif count:
        who = count
    else:
        who = f"the {customers} who use {'them' if plural else 'it'} (we do not yet know how many)"
    what = f"{components} {verb} {state}{where}"
    return {
        "what": what,
        "what_was": f"{components} {past} {state}{where}",
        "who": who,
        "for_you": for_you,
        "lead": f"{what} for {who}. {for_you}",
        "components": components,
        "where": where,
        "verb": verb,
        "was": past,
        "it": "they" if plural else "it",
        "It": "They" if plural else "It",
        "state": state,
    }


class Renderer:
    """Renders updates with the default template pack, or a folder of your own over it.

    Templates are looked up as ``{form}/{status}.j2`` (``short/identified.j2``); a
    ``templates_dir`` of your own is searched first, so you override one file at
    a time. Every template runs sandboxed, within ``limits`` (time and output).
    """

    def __init__(
        self,
        organization: Organization | None = None,
        *,
        templates_dir: str | Path | None = None,
        limits: TemplateLimits | None = None,
    ) -> None:
        self.organization = organization or Organization()
        self.templates_dir = Path(templates_dir) if templates_dir is not None else None
        self.limits = limits or TemplateLimits()
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
        env = _BoundedEnvironment(
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
        env.filters["by"] = self.by
        env.filters["sentence"] = _sentence
        env.filters["labelled"] = _labelled
        env.filters[_COUNTED] = _counted
        env.filters[_JOINED] = _joined
        for name, size in _WIDENING_FILTERS.items():
            env.filters[name] = _sized_filter(env.filters[name], size)
        # Its paragraphs are built in one call that no limit can interrupt, and
        # placeholder text has no place in a message to customers.
        del env.globals["lipsum"]
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
                        exc.name or name, f"syntax error: {exc.message}", line=exc.lineno
                    ) from None
                except jinja2.TemplateNotFound as exc:
                    raise TemplateError(name, f"template not found ({exc.name})") from None
                except (OSError, UnicodeDecodeError) as exc:
                    raise _unreadable(name, exc) from None

    def at(self, when: datetime | None) -> str:
        """A time as customers read it: ``14:30 UTC``, in the organisation's time zone."""
        if when is None:
            raise TemplateError("<filter at>", "no time to format", variable="when")
        local = when.astimezone(self._zone)
        return local.strftime("%H:%M ") + (local.tzname() or self.organization.timezone)

    def by(self, when: datetime | None, today: datetime | None = None) -> str:
        """A promised time: ``14:31 UTC`` for a promise due at 14:30:54, never earlier.

        Rounded up to the minute, so a promise is never shown earlier than it is due.
        With ``today`` (the update's own time), the date follows when the promise falls
        on another day: ``14:30 UTC on 20 November 2026``.
        """
        if when is None:
            raise TemplateError("<filter by>", "no time to format", variable="when")
        due = minute_up(when)
        text = self.at(due)
        if (
            today is not None
            and due.astimezone(self._zone).date() != today.astimezone(self._zone).date()
        ):
            text += f" on {self.day(due)}"
        return text

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
        only the free-text message is shortened, by whole sentences, then whole
        clauses (ending in "…"), never mid-clause; when not even its first clause
        fits, it is left out. Status, scope, next-update time and link are never cut.
        """
        capabilities = capabilities or Capabilities()
        if update.correction is not None:
            return self._correction(incident, update, channel=channel, capabilities=capabilities)
        limit = capabilities.max_length
        unit = capabilities.length_unit
        form = capabilities.form
        text = self._render(self._name(form, update), incident, update, update.message)
        if limit is not None and not _fits(text, unit, limit):
            if form is not Form.SHORT:
                form = Form.SHORT
                text = self._render(self._name(form, update), incident, update, update.message)
            if not _fits(text, unit, limit):
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

    def _correction(
        self, incident: Incident, update: Update, *, channel: str, capabilities: Capabilities
    ) -> Message:
        """The message of a correction: the corrected post in full, or a follow-up.

        A channel that can edit (``capabilities.editing``) gets the corrected update
        as it would have read, ending "Corrected <time>: <reason>", to replace the
        earlier post with; any other gets a follow-up from ``{form}/correction.j2``
        that begins "Correction:".
        """
        assert update.correction is not None
        original = next(u for u in incident.updates if u.id == update.correction.update_id)
        if not capabilities.editing:
            followed = self._follow_up(incident, update, channel, capabilities)
            return followed
        note = f"Corrected {self.at(update.created_at)}: {_sentence(update.correction.reason)}"
        room = capabilities
        if capabilities.max_length is not None:
            left = capabilities.max_length - measure(f"{note}\n\n", capabilities.length_unit)
            room = capabilities.model_copy(update={"max_length": max(left, 1)})
        fixed = original.model_copy(update={"message": update.message})
        body = self.render(incident, fixed, channel=channel, capabilities=room)
        return body.model_copy(
            update={
                "text": f"{body.text}\n\n{note}",
                "update_id": update.id,
                "seq": update.seq,
                "next_update_by": None,
            }
        )

    def _follow_up(
        self, incident: Incident, update: Update, channel: str, capabilities: Capabilities
    ) -> Message:
        """A correction posted after the rest, for a channel that cannot edit."""
        limit, unit, form = capabilities.max_length, capabilities.length_unit, capabilities.form
        name = f"{form.value}/correction.j2"
        text = self._render(name, incident, update, update.message)
        if limit is not None and not _fits(text, unit, limit):
            if form is not Form.SHORT:
                form = Form.SHORT
                name = f"{form.value}/correction.j2"
                text = self._render(name, incident, update, update.message)
            if not _fits(text, unit, limit):
                text = self._fit(name, incident, update, limit, unit)
        return Message(
            channel=channel,
            form=form,
            title=incident.title,
            text=text,
            incident_id=incident.id,
            update_id=update.id,
            seq=update.seq,
            status=update.status,
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
        message = update.message

        def attempt(cut: int) -> str | None:
            text = self._render(name, incident, update, _shortened(message, cut))
            return text if _fits(text, unit, limit) else None

        best = _largest(_cut_points(message), attempt)
        if best is None:
            raise TemplateError(
                name,
                f"the facts alone need more than {limit} {unit}; shorten the title, "
                "component or region names",
            )
        return best

    def _render(self, name: str, incident: Incident, update: Update, message: str) -> str:
        promised = update.promised_by
        late_by = update.created_at - promised if promised is not None else None
        late = late_by is not None and late_by > timedelta(0)
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
            "original": next((u for u in incident.updates if u.id == update.corrects), None),
            "reason": update.correction.reason if update.correction is not None else None,
            "late": late,
            "late_by": describe_duration(late_by) if late_by is not None and late else None,
            "url": self.incident_url(incident.id),
            "status_page_url": self.organization.status_page_url,
        }
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(name, f"template not found ({exc.name})") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(name, f"syntax error: {exc.message}", line=exc.lineno) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _unreadable(name, exc) from None
        budget = _Budget(self.limits)
        token = _budget.set(budget)
        try:
            text = budget.collect(template.generate(context))
        except CandorError:
            raise  # already names what is wrong (a filter's TemplateError, say)
        except jinja2.UndefinedError as exc:
            found = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc))
            variable = next((g for g in found.groups() if g), None) if found else None
            raise TemplateError(
                name,
                f"undefined variable {variable or str(exc)!r}",
                variable=variable,
                line=_line(exc),
            ) from None
        except _Refused as exc:
            raise TemplateError(name, str(exc), line=_line(exc)) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(name, str(exc), line=_line(exc)) from None
        except RecursionError as exc:
            raise TemplateError(
                name, "it calls itself without end (RecursionError)", line=_line(exc)
            ) from None
        except MemoryError as exc:
            raise TemplateError(
                name, "it ran out of memory (MemoryError)", line=_line(exc)
            ) from None
        except Exception as exc:  # a runtime error of the template's own: 1/0, int("x"), ...
            raise TemplateError(
                name, f"{type(exc).__name__}: {_brief(exc)}", line=_line(exc)
            ) from None
        finally:
            _budget.reset(token)
        return _tidy(text)


# -- limits on a template's run ----------------------------------------------------------

_COUNTED = "_candor_counted"
_JOINED = "_candor_joined"
_POWER_BITS = 16_384
"""The largest whole number a template may compute, in bits (Python prints none past 4,300
digits, about 14,000 bits)."""


class _Refused(Exception):  # raised inside a template; _render turns it into TemplateError
    """A template ran past its limits; the message says which."""


class _Budget:
    """The time and output one rendering has left; its loops and calls draw on it."""

    __slots__ = ("deadline", "limits", "next_check", "steps")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout
        self.steps = 0
        self.next_check = 0

    def step(self) -> None:
        """One loop iteration or call; the clock is read every so many."""
        self.steps += 1
        if self.steps >= self.next_check:
            self.next_check = self.steps + 256
            if time.monotonic() > self.deadline:
                raise _Refused(
                    f"it ran longer than {self.limits.timeout:g} seconds (a loop without end?); "
                    "set [templates] timeout to allow longer"
                )

    def sized(self, value: Any) -> Any:
        """``value``, unless it is a string or list longer than one rendering may produce."""
        if isinstance(value, str | bytes | list | tuple) and len(value) > self.limits.max_output:
            self.too_long(len(value))
        return value

    def allow(self, size: int) -> None:
        """Refuse to build a value of ``size`` characters or items past the output limit."""
        if size > self.limits.max_output:
            self.too_long(size)

    def too_long(self, size: int) -> None:
        raise _Refused(
            f"it builds {size:,} characters or items, more than the {self.limits.max_output:,} "
            "one rendering may produce; set [templates] max_output to allow more"
        )

    def collect(self, chunks: Iterator[str]) -> str:
        """The rendered text, refused as soon as it grows past the limit.

        Only a loop can make a template's output grow without bound, and loops
        draw steps, so the chunks themselves are only measured, not timed.
        """
        parts: list[str] = []
        size, most = 0, self.limits.max_output
        for chunk in chunks:
            size += len(chunk)
            if size > most:
                self.too_long(size)
            parts.append(chunk)
        return "".join(parts)


_COMPILING = _Budget(TemplateLimits())
"""The limits on what a filter builds while a template is compiled (its sizes only)."""

_budget: ContextVar[_Budget | None] = ContextVar("candor_render_budget", default=None)
"""The budget of the rendering running in this context (None outside one)."""


class _Counted:
    """A loop's items, each drawing a step from the budget; its length is the items'."""

    __slots__ = ("_budget", "_items")

    def __init__(self, items: Iterable[Any], budget: _Budget) -> None:
        self._items = items
        self._budget = budget

    def __iter__(self) -> Iterator[Any]:
        step = self._budget.step
        for item in self._items:
            step()
            yield item

    def __len__(self) -> int:
        return len(self._items)  # type: ignore[arg-type]  # TypeError when unsized, as len()


def _counted(items: Iterable[Any]) -> Iterable[Any]:
    budget = _budget.get()
    return items if budget is None else _Counted(items, budget)


@jinja2.pass_eval_context
def _joined(eval_ctx: EvalContext, parts: Sequence[Any]) -> str:
    """``a ~ b``: joined as Jinja2 joins it, and refused past the output limit."""
    text: str = markup_join(parts) if eval_ctx.autoescape else str_join(parts)
    budget = _budget.get()
    return text if budget is None else budget.sized(text)


class _Bounds(NodeTransformer):
    """Rewrites a parsed template so that its loops count and its joins are measured."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _COUNTED, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _JOINED, [], [], None, None, lineno=node.lineno)


class _BoundedEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox, with every loop, call and growing value held to the rendering's budget.

    Loops and ``~`` are rewritten when a template is parsed (see :class:`_Bounds`);
    ``+``, ``*`` and ``**`` are intercepted, so ``"x" * 10**12`` is refused before
    it is built. candor's own templates use none of the three, so they pay nothing.
    """

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    rewriting = "candor-bounds-1"
    """Names the rewriting :class:`_Bounds` does, for the compiled-template cache's key."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Bounds().visit(super()._parse(source, name, filename))
        assert isinstance(tree, nodes.Template)
        tree.set_environment(self)
        return tree

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        budget = _budget.get()
        if budget is not None:
            budget.step()  # a macro that calls itself twice over runs as long as a loop
            if isinstance(__obj, BuiltinMethodType):
                owner = __obj.__self__
                methods = _GROWING_METHODS.get(type(owner))
                size = methods.get(__obj.__name__) if methods else None
                if size is not None:
                    budget.allow(size(owner, *args, **kwargs))
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        budget = _budget.get()
        if wrapped is not None and budget is not None:
            budget.allow(_format_width(value.__self__))  # "{:>999999999}".format(x)
        return wrapped

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        budget = _budget.get()
        if budget is None:
            return super().call_binop(context, operator, left, right)
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | bytes | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > budget.limits.max_output
                ):
                    budget.too_long(len(sequence) * times)
            if isinstance(left, int) and isinstance(right, int):
                _number(left.bit_length() + right.bit_length())  # squaring in a loop
        elif operator == "%" and isinstance(left, str):
            budget.allow(_format_width(left, right))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):  # noqa: SIM102
            if right > 0 and abs(left) > 1:
                _number(abs(left).bit_length() * right)
        return budget.sized(super().call_binop(context, operator, left, right))


# How long a value a call would build, told before it is built: a width of a billion
# spaces is one call that no loop or output count can interrupt.
_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +*\d.]*[a-zA-Z%]")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")


def _format_width(form: str, values: Any = ()) -> int:
    """The widest field ``form`` asks for, ``%``- or ``{}``-style (``*`` takes it from values)."""
    specs = [m.group() for m in _PERCENT_SPEC.finditer(form)]
    specs += [m.group(1) for m in _BRACE_SPEC.finditer(form)]
    widths = [int(number) for spec in specs for number in _NUMBER.findall(spec)]
    if any("*" in spec for spec in specs):
        given = values if isinstance(values, tuple) else (values,)
        widths += [abs(v) for v in given if isinstance(v, int)]
    return max(widths, default=0) + len(form)


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _replaced(text: Any, old: Any = "", new: Any = "", count: Any = -1, *_: Any) -> int:
    if not isinstance(old, type(text)) or not isinstance(new, type(text)):
        return 0
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(0, len(new) - len(old))


def _joined_size(separator: Any, items: Any = (), *_: Any) -> int:
    return len(separator) * len(items) if isinstance(items, Sized) else 0


def _length(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else 0


_TEXT_METHODS: dict[str, Callable[..., int]] = {
    "center": lambda text, width=0, *_, **__: _int(width),
    "ljust": lambda text, width=0, *_, **__: _int(width),
    "rjust": lambda text, width=0, *_, **__: _int(width),
    "zfill": lambda text, width=0, *_, **__: _int(width),
    "expandtabs": lambda text, tabsize=8, **__: len(text) * max(1, _int(tabsize)),
    "replace": lambda text, *args, **kwargs: _replaced(text, *args, **kwargs),
    "join": lambda text, items=(), *_, **__: _joined_size(text, items),
}
_GROWING_METHODS: dict[type, dict[str, Callable[..., int]]] = {
    str: _TEXT_METHODS,
    bytes: _TEXT_METHODS,
    list: {"extend": lambda items, more=(), *_, **__: len(items) + _length(more)},
}
"""The size of what each method that can grow a value would make, from its arguments."""


def _indented(arguments: dict[str, Any]) -> int:
    text, width = arguments["s"], arguments["width"]
    step = width if isinstance(width, int) else len(str(width))
    return len(str(text)) + step * (str(text).count("\n") + 1)


_WIDENING_FILTERS: dict[str, Callable[[dict[str, Any]], int]] = {
    "center": lambda a: _int(a["width"]),
    "indent": _indented,
    "format": lambda a: _format_width(str(a["value"]), a["args"] or a["kwargs"]),
    "join": lambda a: _joined_size(str(a["d"]), a["value"]),
    "replace": lambda a: _replaced(str(a["s"]), a["old"], a["new"], a["count"] or -1),
    "batch": lambda a: _int(a["linecount"]) if a["fill_with"] is not None else 0,
    "slice": lambda a: _int(a["slices"]),
}
"""Filters that can build far more than they are given, and the size they would build."""


def _sized_filter(original: Callable[..., Any], size: Callable[[dict[str, Any]], int]) -> Any:
    """``original``, refusing first a result past the output limit."""
    signature = inspect.signature(original)
    # A filter Jinja2 made async-capable takes the evaluation context first, which the
    # signature it shows (its synchronous function's) does not list.
    first = next(iter(signature.parameters), "")
    hidden = getattr(original, "jinja_pass_arg", None) is not None and first != "eval_ctx"

    @functools.wraps(original)
    def sized(*args: Any, **kwargs: Any) -> Any:
        # Outside a rendering this runs when Jinja2 folds a filter of constants as it
        # compiles ("x" | center(10**10)); the default limits hold there, and a refusal
        # only leaves the filter to run, and be refused, when the template renders.
        budget = _budget.get() or _COMPILING
        bound = signature.bind(*(args[1:] if hidden else args), **kwargs)
        bound.apply_defaults()
        budget.allow(size(bound.arguments))
        return original(*args, **kwargs)

    return sized


def _number(bits: int) -> None:
    """Refuse to compute a whole number of about ``bits`` bits, past what a template may."""
    if bits > _POWER_BITS:
        raise _Refused(
            f"a number of about {bits:,} bits, more than the {_POWER_BITS:,} a template may compute"
        )


def _line(exc: BaseException) -> int | None:
    """The template line ``exc`` was raised on (Jinja2 rewrites the traceback to show it)."""
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__jinja_exception__") is exc:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _brief(exc: BaseException) -> str:
    text = str(exc) or "no detail"
    return text if len(text) <= 200 else text[:200] + "…"


def _fits(text: str, unit: str, limit: int) -> bool:
    """Whether ``text`` measures at most ``limit``, counting no further than needed."""
    if unit == "graphemes":  # a grapheme is one code point or more
        return len(text) <= limit or sum(1 for _ in islice(grapheme_ends(text), limit + 1)) <= limit
    return measure(text, unit) <= limit


# Where a short form may end the message: after a whole sentence, or before the punctuation
# that ends a clause (", ", "; ", ": ", " — ", and their CJK forms), never inside one. A
# sentence ends at . ! ? or … (and any closing quote or bracket) before a space, or at 。！？;
# not after an abbreviation ("e.g.", "2 p.m.") or an initial ("U.S.").
_ENDS = re.compile(
    r"(?P<sentence>(?<![\s.][A-Za-z])(?<!e\.g)(?<!i\.e)(?<!\betc)(?<!\bvs)(?<!\bno)(?<!\bca)"
    r"(?<![ap]\.m)"
    r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[」』）]*)"
    r"|(?P<clause>[,;:](?=\s)|\s+[—–-](?=\s)|[、，；：])",
    re.IGNORECASE,
)


def _cut_points(message: str) -> Iterator[int]:
    """Where ``message`` may be cut, shortest first, as ``2 * length + ellipsis``.

    The empty cut (the message left out) first; then the end of each whole sentence
    (kept as written) and of each clause (its punctuation dropped for an ellipsis).
    Found lazily, so a long message costs one position at a time.
    """
    yield 0
    previous = 0
    for match in _ENDS.finditer(message):
        clause = match.group("clause") is not None
        end = match.start() if clause else match.end()
        if previous < end < len(message) and message[:end].strip():
            yield 2 * end + clause
            previous = end


def _shortened(message: str, cut: int) -> str:
    """``message`` cut at ``cut`` (from :func:`_cut_points`)."""
    end, clause = divmod(cut, 2)
    kept = message[:end].rstrip()
    return kept + "…" if clause and kept else kept


def _largest(cuts: Iterator[int], attempt: Callable[[int], str | None]) -> str | None:
    """The result of ``attempt`` on the longest cut it accepts (accepting is monotone).

    The cuts are searched from the shortest, doubling the step until one is refused,
    then halving between the last accepted and the first refused: a logarithmic
    number of attempts, and only cuts up to about twice the answer are ever made.
    """
    seen = array("q")

    def cut(index: int) -> int | None:
        while len(seen) <= index:
            position = next(cuts, None)
            if position is None:
                return None
            seen.append(position)
        return seen[index]

    best, accepted, index = None, -1, 0
    while (position := cut(index)) is not None:
        result = attempt(position)
        if result is None:
            break
        best, accepted, index = result, index, 2 * index + 1
    low, high = accepted + 1, min(index, len(seen)) - 1
    while low <= high:
        middle = (low + high) // 2
        result = attempt(seen[middle])
        if result is not None:
            best, low = result, middle + 1
        else:
            high = middle - 1
    return best


def _labelled(text: str) -> str:
    """Text after a label ("What caused it: ..."), as a sentence of its own: capitalised.

    Every label's text starts the same way, whatever case it was given in. A first
    word with capitals of its own ("iOS", "eBay") is left as it is.
    """
    text = _sentence(text)
    first = text.split(maxsplit=1)[0] if text.split() else ""
    if first[:1].islower() and not any(c.isupper() for c in first):
        return text[0].upper() + text[1:]
    return text


def _sentence(text: str) -> str:
    """Text that ends as a sentence does, so templates can follow it with another."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _unreadable(name: str, exc: OSError | UnicodeDecodeError) -> TemplateError:
    """The error for a template file that cannot be read as text."""
    if isinstance(exc, UnicodeDecodeError):
        return TemplateError(name, f"is not UTF-8 text (byte {exc.start + 1}: {exc.reason})")
    return TemplateError(name, f"cannot be read: {exc.strerror or exc}")

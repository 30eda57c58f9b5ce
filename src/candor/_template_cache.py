"""Compiled templates, kept between processes so that a fresh ``candor`` does not compile them.

A runbook's every ``candor open`` or ``candor update`` is a new process, and
compiling the template pack is much of what building a communicator costs.
Jinja2's own file cache keeps each compiled template in a directory private to
the user (made by Jinja2 in the system's temporary directory, mode 0700); the
next process loads it instead of compiling again, and a template whose source
changed is compiled anew. The file names carry a digest of everything that
shapes the compiled code (the environment's syntax settings, its filters and
tests, the candor and Jinja2 versions), so code compiled under other settings is
never read. A cache that cannot be used (no safe directory, a read-only or full
disk, a torn file) is no cache: rendering never fails because of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle

import jinja2
from jinja2.bccache import Bucket

from candor._version import __version__

__all__ = ["TemplateCache", "template_cache"]


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache, made harmless: a file it cannot read or write is skipped."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            bucket.reset()  # compile instead

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # not cached; the next process compiles again
            super().dump_bytecode(bucket)


def template_cache(env: jinja2.Environment, directory: str | None = None) -> TemplateCache | None:
    """A cache for ``env``'s compiled templates (call it once its filters are set), or None.

    ``directory`` defaults to Jinja2's per-user directory; None is returned
    when no safe one can be had.
    """
    shape = (
        __version__,
        jinja2.__version__,
        type(env).__module__,
        type(env).__qualname__,
        # An environment that rewrites templates as it parses them names that rewriting here.
        getattr(env, "rewriting", None),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        repr(env.autoescape),
        env.finalize is None,
        sorted(env.extensions),
        sorted(getattr(env, "intercepted_binops", ())),
        sorted(getattr(env, "intercepted_unops", ())),
        # The compiled code calls a filter or test differently when it takes the context.
        sorted((n, repr(getattr(f, "jinja_pass_arg", None))) for n, f in env.filters.items()),
        sorted((n, repr(getattr(f, "jinja_pass_arg", None))) for n, f in env.tests.items()),
    )
    digest = hashlib.sha256(repr(shape).encode()).hexdigest()[:20]
    try:
        return TemplateCache(directory, pattern=f"candor-{digest}-%s.cache")
    except (OSError, RuntimeError):  # Jinja2 found no directory private to this user
        return None

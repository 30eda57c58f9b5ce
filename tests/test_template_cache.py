"""Compiled templates kept between processes: used when they fit, never a cause of failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2.bccache import bc_magic
from jinja2.sandbox import SandboxedEnvironment

from candor._template_cache import template_cache


def environment(folder: Path, cache: Path, **settings: Any) -> jinja2.Environment:
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(folder), **settings)
    env.filters["shout"] = str.upper
    env.bytecode_cache = template_cache(env, str(cache))
    return env


def refuse_to_compile(*args: object, **kwargs: object) -> None:
    raise AssertionError("compiled although a cached copy fits")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text("{{ word | shout }}!\n", encoding="utf-8")
    return folder


class TestTemplateCache:
    def test_a_second_environment_loads_what_the_first_compiled(
        self, templates: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cache = tmp_path / "cache"
        cache.mkdir()
        assert environment(templates, cache).get_template("t.j2").render(word="up") == "UP!"
        assert len(list(cache.iterdir())) == 1
        again = environment(templates, cache)
        monkeypatch.setattr(again, "compile", refuse_to_compile)
        assert again.get_template("t.j2").render(word="up") == "UP!"

    def test_a_changed_template_is_compiled_anew(self, templates: Path, tmp_path: Path) -> None:
        cache = tmp_path / "cache"
        cache.mkdir()
        environment(templates, cache).get_template("t.j2")
        (templates / "t.j2").write_text("{{ word }}?\n", encoding="utf-8")
        assert environment(templates, cache).get_template("t.j2").render(word="up") == "up?"

    def test_other_settings_never_read_this_cache(self, templates: Path, tmp_path: Path) -> None:
        cache = tmp_path / "cache"
        cache.mkdir()
        (templates / "t.j2").write_text("{% if 1 %}\nx\n{% endif %}\n", encoding="utf-8")
        plain = environment(templates, cache).get_template("t.j2").render()
        trimmed = environment(templates, cache, trim_blocks=True).get_template("t.j2").render()
        assert (plain, trimmed) == ("\nx\n", "x\n")
        assert len(list(cache.iterdir())) == 2

    def test_a_torn_cache_file_is_compiled_over(self, templates: Path, tmp_path: Path) -> None:
        cache = tmp_path / "cache"
        cache.mkdir()
        environment(templates, cache).get_template("t.j2")
        (cached,) = cache.iterdir()
        cached.write_bytes(cached.read_bytes()[: len(bc_magic) + 3])  # cut inside the checksum
        assert environment(templates, cache).get_template("t.j2").render(word="b") == "B!"

    def test_a_missing_directory_is_no_cache(self, templates: Path, tmp_path: Path) -> None:
        env = environment(templates, tmp_path / "nowhere")
        assert env.get_template("t.j2").render(word="c") == "C!"

    def test_no_private_directory_means_no_cache(
        self, templates: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def unsafe(self: object) -> str:
            raise RuntimeError("Cannot determine safe temp directory.")

        monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "_get_default_cache_dir", unsafe)
        env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(templates))
        assert template_cache(env) is None

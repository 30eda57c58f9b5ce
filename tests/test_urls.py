"""Outbound URLs are checked whole when the configuration is loaded, never at the first delivery.

A webhook URL with port 99999 or a CR/LF used to pass, and was then retried for
ever as "maybe sent"; a ``javascript:`` status page URL became a link on every
page. Each is now a ConfigError naming the file, the channel and the key, and
the message never quotes a URL held as a secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import candor
from candor._urls import check_url
from candor.config import load_config
from tests.adapters.settings import SETTINGS

BAD_URLS = {
    "port 99999": ("http://hooks.example.com:99999/x", "port"),
    "port 0": ("http://hooks.example.com:0/x", "port"),
    "port not a number": ("http://hooks.example.com:8o/x", "port"),
    "CR LF": ("http://hooks.example.com/x\r\nX-Injected: 1", "control character"),
    "a tab": ("http://hooks.example.com/\tx", "control character"),
    "NUL": ("http://hooks.example.com/\x00", "control character"),
    "DEL": ("http://hooks.example.com/\x7f", "control character"),
    "a space": ("http://hooks.example.com/a b", "white space"),
    "ftp": ("ftp://hooks.example.com/x", "its scheme is ftp:"),
    "javascript": ("javascript:alert(document.cookie)", "its scheme is javascript:"),
    "file": ("file:///etc/passwd", "its scheme is file:"),
    "no scheme": ("hooks.example.com/x", "http:// or https://"),
    "one slash": ("https:/hooks.example.com/x", "http:// or https://"),
    "no host": ("https:///x", "no host"),
    "a bad host": ("https://hooks<example>.com/", "host name"),
    "a backslash": ("https://hooks.example.com\\@evil.example/", "backslash"),
    "a bad IPv6": ("https://[fe80::zz]/", "IPv6"),
}
GOOD_URLS = [
    "https://hooks.example.com/services/T0/B0/x?token=a&b=c",
    "http://127.0.0.1:8080/hook",
    "https://user:pa%40ss@hooks.example.com:443/x",
    "https://[2001:db8::1]:8443/x",
    "https://bücher.example/x",
    "HTTPS://Hooks.Example.COM/",
]


class TestCheckUrl:
    @pytest.mark.parametrize("name", sorted(BAD_URLS))
    def test_a_bad_url_is_refused_saying_what_is_wrong(self, name: str) -> None:
        url, words = BAD_URLS[name]
        with pytest.raises(ValueError, match=words) as caught:
            check_url(url)
        assert url not in str(caught.value)

    @pytest.mark.parametrize("url", GOOD_URLS)
    def test_a_good_url_passes_as_it_is(self, url: str) -> None:
        assert check_url(url) == url


def config_with(tmp_path: Path, adapter: str, **settings: object) -> Path:
    merged = {**SETTINGS[adapter], **settings}
    lines = ["[[channels]]", 'name = "hook"', f'adapter = "{adapter}"']
    for key, value in merged.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    path = tmp_path / "candor.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TestAtLoadTime:
    @pytest.mark.parametrize("name", ["port 99999", "CR LF", "ftp", "javascript", "no host"])
    def test_a_bad_webhook_url_is_a_config_error_without_the_url(
        self, tmp_path: Path, name: str
    ) -> None:
        url, words = BAD_URLS[name]
        path = tmp_path / "candor.toml"
        path.write_text(
            '[[channels]]\nname = "hook"\nadapter = "webhook"\nurl = "${HOOK_URL}"\n'
            'secret = "0123456789abcdef0123"\n',
            encoding="utf-8",
        )
        with pytest.raises(candor.ConfigError, match=words) as caught:
            load_config(path, environ={"HOOK_URL": url})
        assert (caught.value.path, caught.value.channel, caught.value.key) == (
            str(path),
            "hook",
            "url",
        )
        assert url not in str(caught.value)
        assert "hooks.example.com" not in str(caught.value)

    @pytest.mark.parametrize(
        ("adapter", "key"),
        [("statuspage", "base_url"), ("cachet", "base_url"), ("instatus", "base_url"),
         ("mastodon", "base_url"), ("bluesky", "service"), ("x", "base_url")],
    )  # fmt: skip
    def test_every_adapters_base_url_is_checked_whole(
        self, tmp_path: Path, adapter: str, key: str
    ) -> None:
        path = config_with(tmp_path, adapter, **{key: "https://api.example.com:99999"})
        with pytest.raises(candor.ConfigError, match="port") as caught:
            load_config(path, environ={})
        assert (caught.value.channel, caught.value.key) == ("hook", key)

    @pytest.mark.parametrize(
        ("adapter", "key"),
        [("statuspage", "api_key"), ("cachet", "token"), ("instatus", "api_key"),
         ("mastodon", "access_token"), ("bluesky", "app_password"), ("x", "api_key"),
         ("x", "access_token")],
    )  # fmt: skip
    def test_an_empty_token_is_a_config_error(self, tmp_path: Path, adapter: str, key: str) -> None:
        path = config_with(tmp_path, adapter, **{key: "  "})
        with pytest.raises(candor.ConfigError, match="must not be empty") as caught:
            load_config(path, environ={})
        assert (caught.value.channel, caught.value.key) == ("hook", key)

    def test_a_javascript_status_page_url_is_a_config_error(self, tmp_path: Path) -> None:
        path = tmp_path / "candor.toml"
        path.write_text(
            '[organization]\nstatus_page_url = "javascript:alert(1)"\n', encoding="utf-8"
        )
        with pytest.raises(candor.ConfigError, match="javascript:") as caught:
            load_config(path, environ={})
        assert caught.value.key == "organization.status_page_url"

    def test_a_status_page_url_is_checked_in_python_too(self) -> None:
        with pytest.raises(candor.InputError):
            candor.Organization(status_page_url="javascript:alert(1)")

    def test_a_missing_templates_folder_is_a_config_error(self, tmp_path: Path) -> None:
        path = tmp_path / "candor.toml"
        path.write_text('[templates]\npath = "templates"\n', encoding="utf-8")
        with pytest.raises(candor.ConfigError, match="no such folder") as caught:
            load_config(path, environ={})
        assert caught.value.key == "templates.path"
        (tmp_path / "templates").write_text("a file, not a folder")
        with pytest.raises(candor.ConfigError, match="not a folder"):
            load_config(path, environ={})
        (tmp_path / "templates").unlink()
        (tmp_path / "templates").mkdir()
        assert load_config(path, environ={}).templates_dir == tmp_path.resolve() / "templates"

    @pytest.mark.parametrize(
        "url",
        [
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]:8080/",
        ],
    )
    def test_a_link_local_address_in_a_url_is_refused_at_load_time_unless_allowed(
        self, tmp_path: Path, url: str
    ) -> None:
        path = tmp_path / "candor.toml"
        hook = (
            '[[channels]]\nname = "hook"\nadapter = "webhook"\nurl = "${HOOK_URL}"\n'
            'secret = "0123456789abcdef0123"\n'
        )
        path.write_text(hook, encoding="utf-8")
        with pytest.raises(candor.ConfigError, match="link-local or cloud metadata") as caught:
            load_config(path, environ={"HOOK_URL": url})
        assert (caught.value.channel, caught.value.key) == ("hook", "url")
        assert urlsplit(url).hostname not in str(caught.value)  # the URL is a secret
        path.write_text("[http]\nallow_link_local = true\n" + hook, encoding="utf-8")
        assert load_config(path, environ={"HOOK_URL": url}).channels[0].name == "hook"

    def test_a_private_address_in_a_base_url_is_refused_when_private_is(
        self, tmp_path: Path
    ) -> None:
        path = config_with(tmp_path, "mastodon", base_url="http://10.0.0.5:3000")
        load_config(path, environ={})  # allowed by default: internal services are normal
        text = path.read_text(encoding="utf-8")
        path.write_text("[http]\nallow_private = false\n" + text, encoding="utf-8")
        with pytest.raises(candor.ConfigError, match="private address") as caught:
            load_config(path, environ={})
        assert (caught.value.channel, caught.value.key) == ("hook", "base_url")

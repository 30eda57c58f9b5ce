"""What every fake shares: faults on demand, serving on 127.0.0.1, finding the API descriptions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from candor.testing.fakes import FakeDiscord, FakeMastodon, FakeX, find_specs, serve
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "Bearer mastodon-token"}


class TestFaults:
    def test_fail_next_answers_the_status_for_n_requests_then_recovers(self) -> None:
        fake = FakeMastodon()
        fake.fail_next(2, 503, retry_after=7)
        http = client_for(fake)
        answers = [http.post("/api/v1/statuses", json={"status": f"{n}"}, headers=AUTH)
                   for n in range(3)]  # fmt: skip
        assert [a.status_code for a in answers] == [503, 503, 200]
        assert answers[0].headers["retry-after"] == "7"
        assert len(fake.statuses) == 1
        assert len(fake.requests) == 3

    def test_timeout_next_does_the_work_but_the_client_times_out(self) -> None:
        fake = FakeMastodon()
        fake.timeout_next()
        with pytest.raises(httpx.ReadTimeout):
            client_for(fake).post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH)
        assert len(fake.statuses) == 1  # the server succeeded; the client never heard

    def test_drop_next_closes_the_connection_without_doing_anything(self) -> None:
        fake = FakeMastodon()
        fake.drop_next()
        with pytest.raises(httpx.RemoteProtocolError):
            client_for(fake).post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH)
        assert fake.statuses == {}

    def test_the_async_client_speaks_to_the_fake_too(self) -> None:
        import asyncio

        async def go() -> int:
            async with FakeX().client() as http:
                answer = await http.post(
                    "/2/tweets", json={"text": "Down."},
                    headers={"Authorization": "Bearer x-user-token"},
                )  # fmt: skip
                return answer.status_code

        assert asyncio.run(go()) == 201


class TestServe:
    def test_real_requests_over_a_socket(self) -> None:
        fake = FakeDiscord()
        with serve(fake) as base_url, httpx.Client(base_url=base_url) as http:
            assert base_url.startswith("http://127.0.0.1:")
            answer = http.post(
                "/api/webhooks/1100000000000000001/discord-webhook-token",
                params={"wait": "true"},
                json={"content": "@everyone API is down."},
            )
        assert answer.status_code == 200
        assert answer.json()["content"] == "@everyone API is down."
        assert [ping.mention for ping in fake.pings] == ["@everyone"]

    def test_the_base_url_keeps_the_services_path(self) -> None:
        from candor.testing.fakes import FakeStatuspage

        with serve(FakeStatuspage()) as base_url:
            assert base_url.endswith("/v1")

    def test_a_timeout_on_a_socket_after_the_work_is_done(self) -> None:
        fake = FakeMastodon()
        fake.timeout_next(delay=1.0)
        with (
            serve(fake) as base_url,
            httpx.Client(base_url=base_url, timeout=0.2) as http,
            pytest.raises(httpx.ReadTimeout),
        ):
            http.post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH)
        assert len(fake.statuses) == 1

    def test_a_dropped_connection_on_a_socket(self) -> None:
        fake = FakeMastodon()
        fake.drop_next()
        with serve(fake) as base_url, httpx.Client(base_url=base_url) as http:
            with pytest.raises(httpx.TransportError):
                http.post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH)
            again = http.post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH)
        assert again.status_code == 200


class TestFindingSpecs:
    def test_an_explicit_folder_or_the_environment_wins(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert find_specs(tmp_path) == tmp_path
        monkeypatch.setenv("CANDOR_SPECS", str(tmp_path / "env"))
        assert find_specs() == tmp_path / "env"
        assert find_specs(False) is None

    def test_the_shared_specs_beside_the_project_are_found(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CANDOR_SPECS", raising=False)
        root = Path(__file__).resolve().parents[3]
        expected = root.parent / "shared" / "specs"
        if not expected.is_dir():
            pytest.skip(f"no shared specs beside this checkout ({expected})")
        assert find_specs() == expected
        assert FakeMastodon().spec.enabled

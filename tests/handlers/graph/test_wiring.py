"""Wiring: Graph is built only when configured; a partial configuration is named at startup."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import CliError, build_runtime, load_settings
from bot.settings import Settings
from handlers.graph import GraphCalendar, GraphCalendarSender


async def test_without_graph_there_is_no_calendar_sender(tmp_path: Path) -> None:
    rt = build_runtime(Settings(_env_file=None, data_dir=tmp_path))
    try:
        assert set(rt.dispatcher.senders) == {"web"} and rt.jobs.calendar is None
    finally:
        await rt.database.dispose()


async def test_configured_graph_adds_the_sender_and_the_busy_port(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        graph_tenant_id="t",
        graph_client_id="c",
        graph_client_secret="graph-secret",
    )
    assert settings.graph_enabled and "graph-secret" not in repr(settings)
    rt = build_runtime(settings)  # nothing is contacted while wiring
    try:
        assert isinstance(rt.dispatcher.senders["calendar"], GraphCalendarSender)
        assert isinstance(rt.jobs.calendar, GraphCalendar)
    finally:
        await rt.database.dispose()


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"GRAPH_TENANT_ID": "t"}, ["GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"]),
        ({"GRAPH_TENANT_ID": "t", "GRAPH_CLIENT_ID": "c"}, ["GRAPH_CLIENT_SECRET"]),
        ({"GRAPH_CLIENT_SECRET": "s"}, ["GRAPH_TENANT_ID", "GRAPH_CLIENT_ID"]),
    ],
)
def test_a_partial_graph_configuration_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: dict[str, str], missing: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CliError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == missing
    assert all("together" in line for line in lines)

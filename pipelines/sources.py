"""The Sigma log sources the pack's rules use. Every platform pipeline maps each of them;
tests fail when one is missing, so adding a source here is the one step that asks every
platform to say how it sees it."""

from sigma.pipelines.t1114.base import LogSource

SOURCES: dict[str, LogSource] = {
    "windows_process_creation": LogSource("windows", "process_creation"),
    "m365_exchange": LogSource("m365", service="exchange"),
}

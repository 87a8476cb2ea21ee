"""The reference traffic: the bare Django JSON view (bench/load/bare_app.py), no think time."""

from __future__ import annotations

from locust import FastHttpUser, task


class Reader(FastHttpUser):
    @task
    def ok(self) -> None:
        with self.client.get("/", name="GET / (bare Django JSON view)", catch_response=True) as r:
            if r.status_code != 200 or r.content != b'{"ok": true}':
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")

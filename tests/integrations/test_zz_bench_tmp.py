import json, time, cProfile, pstats
import pytest
from django.test import Client
from tests.api.conftest import make_token

@pytest.mark.django_db(transaction=True)
def test_bench(admin, workspace, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    token = make_token(admin)[1]
    events = [{"type": "web_visit", "occurred_at": "2026-03-01T10:00:00Z", "channel": "direct", "contact": {"email": f"b{i}@x{i%9}.example", "first_name": "A", "company": f"Co {i%50}"}} for i in range(1000)]
    pr = cProfile.Profile(); pr.enable()
    r = Client().post("/api/v1/events", data=json.dumps({"events": events}), content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    pr.disable()
    assert r.status_code == 201
    pstats.Stats(pr).sort_stats("tottime").print_stats(25)

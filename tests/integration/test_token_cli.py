"""`yinling token issue | list | revoke` against a real tokens database (SQLite and PostgreSQL):
the secret is printed once and only its SHA-256 is stored; bad options are refused naming
the option and the reason."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from yinling.auth import Authenticator
from yinling.cli import main
from yinling.db import make_engine
from yinling.errors import Unauthenticated
from yinling.tokens import ApiToken, TokenStore


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("YINLING_TOKENS_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def test_issue_prints_the_secret_once_and_stores_only_its_hash(cli, database_url):
    issued = cli("token", "issue", "--agency", "蓬江区科技局", "--scope", "platforms:write",
                 "--scope", "enterprises:write", "--district", "440703", "--expires", "90d")
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip().splitlines()[-1]
    assert secret.startswith("yl_") and len(secret) == 46
    store = TokenStore(make_engine(database_url), cache_s=0)
    with store.sessions() as s:
        (row,) = s.scalars(select(ApiToken))
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.id, row.agency, row.scopes, row.districts, row.secret_sha256}
    assert (row.scopes, row.districts) == ("enterprises:write platforms:write", "440703")
    assert 89 <= (row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)).days <= 90
    caller = Authenticator(store).authenticate(f"Bearer {secret}")
    assert (caller.actor, caller.token_id, caller.districts) == ("蓬江区科技局", row.id, frozenset({"440703"}))

    listed = cli("token", "list")
    assert f"{row.id}  active" in listed.output and secret not in listed.output
    revoked = cli("token", "revoke", row.id)
    assert revoked.exit_code == 0 and f"token {row.id} (蓬江区科技局) revoked" in revoked.output
    assert f"{row.id}  revoked" in cli("token", "list").output
    with pytest.raises(Unauthenticated, match=f"token {row.id} was revoked"):
        Authenticator(store).authenticate(f"Bearer {secret}")
    store.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--scope", "platforms:wrte"], "scope: unknown scope 'platforms:wrte'"),
    (["--scope", "platforms:write", "--district", "110000"], "district: unknown district code '110000'"),
    (["--scope", "platforms:write", "--expires", "5y"], "expires: '5y' is not a lifetime"),
])
def test_bad_options_are_refused_naming_them(cli, args, message):
    result = cli("token", "issue", "--agency", "x", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "no tokens issued" in cli("token", "list").output


def test_revoking_an_unknown_token_names_it(cli):
    result = cli("token", "revoke", "nope")
    assert result.exit_code == 1 and "id: no token 'nope'" in result.output

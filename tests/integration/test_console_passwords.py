"""Admins' passwords (issue 17, point 1) on SQLite and PostgreSQL: `jingmin admin create`
sets an argon2id hash; /login takes a name and password; tries are limited per address
and per name; officers without the admin flag, and removed ones, have no password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from core.db import Officer, session
from tests.integration.test_console import World, audit_actions, client, hidden, world

__all__ = ["client", "world"]  # the fixtures, shared
PASSWORD = "长城-守望-2026-bridge"


def admin_create(world: World, tmp_path: Path, *args: str, password: str = PASSWORD) -> str:
    config = tmp_path / "config.toml"
    url = world.services.settings.database.url
    config.write_text(
        f'[database]\nurl = "{url}"\n'
        '[[stations]]\nid = "xq"\nname = "兴庆派出所"\naddress = "a"\nphone = "1"\nhours = "9"\n'
        '[[stations]]\nid = "jf"\nname = "金凤派出所"\naddress = "a"\nphone = "1"\nhours = "9"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        ["admin", "create", *args, "--config", str(config)],
        env={"JINGMIN_ADMIN_PASSWORD": password},
    )
    return f"{result.exit_code} {result.output}"


def officer(world: World, name: str) -> Officer:
    with session(world.services.engine) as db:
        return db.exec(select(Officer).where(Officer.name == name)).one()


def with_password(http: TestClient, name: str, password: str) -> int:
    form = http.get("/login")
    assert form.status_code == 200 and 'type="password"' in form.text
    data = {"name": name, "password": password, "check": hidden(form.text, "check")}
    return http.post("/login", data=data).status_code


@pytest.fixture(scope="module")
def passwords(world: World, tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("admin")
    assert admin_create(world, tmp, "张所长").startswith("0 updated station admin 张所长 (xq)")
    created = admin_create(world, tmp, "孙局长", "--station", "jf", "--city")
    assert created.startswith("0 created city admin 孙局长 (jf)"), created


def test_an_admin_signs_in_with_a_password(
    world: World, client: TestClient, passwords: None
) -> None:
    stored = officer(world, "张所长").password_hash
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert with_password(client, "张所长", PASSWORD) == 303
    page = client.get("/tickets")
    assert page.status_code == 200 and "张所长" in page.text
    assert "signed in: from testclient with password" in audit_actions(world, "console:张所长")
    city = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    assert with_password(city, "孙局长", PASSWORD) == 303
    assert "市局管理员" in city.get("/tickets").text
    assert city.get("/officers").status_code == 200


def test_wrong_passwords_and_non_admins_are_refused(
    world: World, client: TestClient, passwords: None, tmp_path: Path
) -> None:
    assert with_password(client, "张所长", PASSWORD + "x") == 403
    assert with_password(client, "李警官", PASSWORD) == 403  # no password: not an admin
    assert with_password(client, "无此人", PASSWORD) == 403
    refused = client.post("/login", data={"name": "张所长", "password": PASSWORD})
    assert refused.status_code == 403  # without the form's check value
    assert client.get("/tickets").status_code == 303
    assert (
        "姓名或密码不对"
        in client.post(
            "/login",
            data={
                "name": "张所长",
                "password": "x",
                "check": hidden(client.get("/login").text, "check"),
            },
        ).text
    )
    assert "sign-in refused: from testclient bad password 张所长" in audit_actions(
        world, "console:anonymous"
    )
    not_admin = admin_create(world, tmp_path, "李警官")
    assert not_admin.startswith("2 ") and "not a station or city admin" in not_admin
    short = admin_create(world, tmp_path, "张所长", password="short")
    assert short.startswith("2 ") and "at least 12" in short
    assert admin_create(world, tmp_path, "nobody").startswith("2 ")
    assert admin_create(world, tmp_path, "x", "--station", "zz").startswith("2 ")


def test_tries_are_limited_per_name_and_per_address(
    world: World, client: TestClient, passwords: None
) -> None:
    codes = [with_password(client, "张所长", f"guess-{n}-guess-guess") for n in range(5)]
    assert codes == [403] * 5
    assert with_password(client, "张所长", PASSWORD) == 429  # the name is closed for now
    assert with_password(client, "孙局长", PASSWORD) == 303  # another name is not
    more = [with_password(client, "孙局长", f"guess-{n}") for n in range(3)]
    assert more == [403, 403, 403]
    assert with_password(client, "孙局长", PASSWORD) == 429  # 10 tries from this address
    assert "sign-in refused: from testclient too many attempts for the name 张所长" in (
        audit_actions(world, "console:anonymous")
    )


def test_a_removed_admin_has_no_password(world: World, client: TestClient, passwords: None) -> None:
    with session(world.services.engine) as db:
        row = db.exec(select(Officer).where(Officer.name == "孙局长")).one()
        row.active = False
        db.add(row)
        db.commit()
    try:
        assert with_password(client, "孙局长", PASSWORD) == 403
    finally:
        with session(world.services.engine) as db:
            row = db.exec(select(Officer).where(Officer.name == "孙局长")).one()
            row.active = True
            db.add(row)
            db.commit()

"""`jingmin admin create NAME`: a password for a station or city admin of the console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import secret

PASSWORD_ENV = "JINGMIN_ADMIN_PASSWORD"  # for scripts; otherwise asked for, twice
app = typer.Typer(help="Console admins: passwords.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()
# Why `admin create` refuses (the CLI is for the server's operator: English is fine).
REFUSALS = {
    "ambiguous": "several officers have that name: give --station",
    "not_found": "no such officer: give --station to create them as that station's admin",
    "not_admin": "the officer is not a station or city admin (config: admin = true)",
}


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The admin's name, as in the config.")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config file (see config.example.toml).")
    ] = None,
    station: Annotated[
        str | None, typer.Option(help="Their station (creates the admin if missing).")
    ] = None,
    city: Annotated[bool, typer.Option("--city", help="A city admin: every station.")] = False,
) -> None:
    """Set (or replace) the console password of a station or city admin."""
    from bot.cli import _engine
    from bot.entry import settings_or_exit
    from console.people import Refused, set_admin_password
    from core.db import session
    from officers.signin import MIN_PASSWORD, hash_password

    if station is not None and settings_or_exit(config).station(station) is None:
        err.print(f"no station {station!r} in the config", markup=False)
        raise typer.Exit(2)
    password = secret(PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < MIN_PASSWORD:
        err.print(f"a password needs at least {MIN_PASSWORD} characters", markup=False)
        raise typer.Exit(2)
    with session(_engine(config)) as db:
        try:
            officer, created = set_admin_password(db, name, station, city, hash_password(password))
        except Refused as refused:
            err.print(REFUSALS.get(str(refused), str(refused)), markup=False)
            raise typer.Exit(2) from None
        db.commit()
    role = "city admin" if officer.city_admin else "station admin"
    verb = "created" if created else "updated"
    out.print(f"{verb} {role} {officer.name} ({officer.station_id}): password set", markup=False)

"""Creating and upgrading the database schema, and loading the reference data it needs."""
from __future__ import annotations

import csv
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.enums import JurisdictionLevel
from models.people import Jurisdiction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision and load the reference jurisdictions."""
    migrate(engine, command.upgrade, "head")
    with Session(engine) as session:
        load_jurisdictions(session)
        session.commit()


def migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run an Alembic step (`command.upgrade`, `command.downgrade`) to `revision`, in one transaction.

    SQLite changes a column by building the table anew and dropping the old one; it asks that
    foreign keys be switched off meanwhile (outside the transaction: inside, the switch does
    nothing) and checked once the tables are in place. The migration is undone when one fails."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config = alembic_config(engine.url.render_as_string(hide_password=False))
                config.attributes["connection"] = connection
                step(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
                if broken:
                    raise RuntimeError(f"the migration to {revision} broke references: {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")


def reference_rows(name: str) -> list[dict[str, str]]:
    with resources.files("models").joinpath("data", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_jurisdictions(session: Session) -> int:
    """Insert the GB/T 2260 divisions of models/data/jurisdictions.csv that are not there yet."""
    known = set(session.scalars(select(Jurisdiction.code)))
    added = 0
    for row in reference_rows("jurisdictions.csv"):
        if row["code"] in known:
            continue
        session.add(
            Jurisdiction(
                code=row["code"],
                name=row["name"],
                level=JurisdictionLevel(row["level"]),
                parent_code=row["parent"] or None,
            )
        )
        session.flush()
        added += 1
    return added

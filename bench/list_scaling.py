"""Benchmark: a user with 100,000 bucketlists lists, searches and sorts as fast as one with ten.

    .venv/bin/python bench/list_scaling.py [--rows 100000] [--shared 1000] [--repeat 30]

Runs in-process (Flask test client, the real views and queries) against a real PostgreSQL
(TEST_DATABASE_URL, or a throwaway one), on a scratch database migrated to head. Prints whether
the server has pg_trgm (the migration makes trigram indexes for `?q=` only where it does), the
median time of each request for both users, the ratio, and the plan PostgreSQL chose for each
query. Run it on both kinds of server: Debian's PostgreSQL has pg_trgm, the pip-installed
throwaway server has not. Both users are also members of --shared bucketlists of a third user
(half as editor, half as viewer), so every list mixes owned and shared rows.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import flask_migrate
from sqlalchemy import text

from app import create_app, db
from app.models import Bucketlist, Item, User
from app.sharing.models import Membership
from app.timestamps import utcnow
from tests.database import ensure_test_database, scratch_database

WORDS = ["Climb", "Visit", "Learn", "Swim", "Write", "Build", "Sail", "Run", "Cook", "Paint"]
PLACES = ["Kilimanjaro", "Borabora", "Iceland", "Patagonia", "Kyoto", "Lisbon", "Nairobi", "Oslo"]
REQUESTS = {
    "page 1 (default: id, 20)": "/bucketlists/",
    "page 40, 100 per page": "/bucketlists/?page=40&per_page=100",
    "sorted by name, page 1": "/bucketlists/?sort=name",
    "sorted by -date_modified, page 1": "/bucketlists/?sort=-date_modified",
    "search q=zanzibar (rare)": "/bucketlists/?q=zanzibar",
    "search q=kyoto 7 (1 in 80)": "/bucketlists/?q=kyoto%207",
    "search q=oslo 999 (1 in 1,000)": "/bucketlists/?q=oslo%20999",
    "role=viewer (shared only), page 1": "/bucketlists/?role=viewer",
    "role=owner, sorted by name": "/bucketlists/?role=owner&sort=name",
    "one bucketlist with its items": "/bucketlists/{some_id}",
    "items of a 1,000-item list, done=true": "/bucketlists/{some_id}/items/?done=true",
}


def name_for(number: int) -> str:
    return f"{WORDS[number % 10]} {PLACES[number % 8]} {number % 1000}"


def seed(rows: int, shared: int = 0) -> dict:
    """A user with `rows` bucketlists (one holding 1,000 items) and a user with ten, both
    members of `shared` bucketlists of a third user."""
    heavy = User(email="heavy@example.com", password="heavy password")
    light = User(email="light@example.com", password="light password")
    db.session.add_all([heavy, light])
    db.session.commit()
    now = utcnow()
    for owner, count in [(heavy, rows), (light, 10)]:
        batch = []
        for number in range(count):
            batch.append({"name": name_for(number), "created_by": owner.id,
                          "date_created": now, "date_modified": now})
            if len(batch) == 10_000:
                db.session.execute(db.insert(Bucketlist), batch)
                batch = []
        if batch:
            db.session.execute(db.insert(Bucketlist), batch)
        db.session.execute(db.insert(Bucketlist), [{"name": "Zanzibar at last", "created_by":
                                                    owner.id, "date_created": now,
                                                    "date_modified": now}])
    db.session.commit()
    if shared:
        sharer = User(email="sharer@example.com", password="sharer password")
        db.session.add(sharer)
        db.session.commit()
        db.session.execute(db.insert(Bucketlist), [
            {"name": f"Shared {name_for(number)}", "created_by": sharer.id,
             "date_created": now, "date_modified": now} for number in range(shared)])
        shared_ids = db.session.scalars(db.select(Bucketlist.id).where(
            Bucketlist.created_by == sharer.id)).all()
        db.session.execute(db.insert(Membership), [
            {"bucketlist_id": bucketlist_id, "user_id": member.id,
             "role": "editor" if number % 2 else "viewer", "date_added": now}
            for member in (heavy, light) for number, bucketlist_id in enumerate(shared_ids)])
        db.session.commit()
    ids = {}
    for owner in (heavy, light):
        some = db.session.scalar(db.select(Bucketlist.id).where(Bucketlist.created_by == owner.id)
                                 .order_by(Bucketlist.id).limit(1))
        db.session.execute(db.insert(Item), [{"name": f"goal {n}", "done": n % 3 == 0,
                                              "bucketlist_id": some, "date_created": now,
                                              "date_modified": now} for n in range(1000)])
        ids[owner.email] = some
    db.session.commit()
    # What autovacuum would do soon after such a load: statistics and the visibility map.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return ids


def median_ms(client, path, headers, repeat) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.data[:200])
    return statistics.median(times)


def explain(app, path, email) -> str:
    """The plan of the page query a request runs (the last SELECT it sends)."""
    statements = []
    from sqlalchemy import event

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    client = app.test_client()
    token = client.post("/auth/login", json={"email": email, "password": email.split("@")[0]
                                             + " password"}).get_json()["access_token"]
    statements.clear()
    client.get(path, headers={"Authorization": f"Bearer {token}"})
    event.remove(engine, "before_cursor_execute", record)
    statement, parameters = statements[-1]
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
        finally:
            raw.close()
    return " | ".join(line.strip() for line in plan if "Scan" in line or "Sort" in line)[:160]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shared", type=int, default=1000,
                        help="bucketlists shared with both users")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    ensure_test_database()
    with scratch_database() as url:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            flask_migrate.upgrade()
            start = time.perf_counter()
            ids = seed(args.rows, args.shared)
            print(f"seeded {args.rows:,} + 10 bucketlists, and {args.shared:,} shared with both "
                  f"users, in {time.perf_counter() - start:.1f} s")
            version = db.session.scalar(text("SHOW server_version"))
            trigram = db.session.scalar(text(
                "SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%\\_trgm' ESCAPE '\\'"))
            print(f"PostgreSQL {version}; trigram indexes (pg_trgm): "
                  f"{'present' if trigram else 'absent: a search reads all of the user rows'}")
        client = app.test_client()
        tokens = {}
        for email in ("heavy@example.com", "light@example.com"):
            password = email.split("@")[0] + " password"
            tokens[email] = client.post("/auth/login", json={"email": email, "password": password}
                                        ).get_json()["access_token"]
        print(f"\n{'request':40} {'10 rows ms':>11} {f'{args.rows:,} rows ms':>15} {'ratio':>6}")
        plans = []
        for label, template in REQUESTS.items():
            figures = []
            for email in ("light@example.com", "heavy@example.com"):
                path = template.format(some_id=ids[email])
                headers = {"Authorization": f"Bearer {tokens[email]}"}
                median_ms(client, path, headers, 3)
                figures.append(median_ms(client, path, headers, args.repeat))
            print(f"{label:40} {figures[0]:>11.2f} {figures[1]:>15.2f} "
                  f"{figures[1] / figures[0]:>6.2f}")
            plans.append((label, explain(app, template.format(some_id=ids["heavy@example.com"]),
                                         "heavy@example.com")))
        print("\nPostgreSQL's plan for each page query of the heavy user:")
        for label, plan in plans:
            print(f"- {label}: {plan}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Search benchmark: our search (through the Flask app, full page render) against SQLite FTS5.

    .venv/bin/python bench/search_bench.py [--listings 50000] [--queries 300] [--backend whoosh|tantivy]

Without --backend, both engines run one after the other, each in a process of its own (so each
gets its own peak-memory figure), and both figure sets are printed.

A build process generates a synthetic directory (English, Spanish, Vietnamese, Chinese and Arabic
text), loads it and builds the index (prints seconds, MB on disk and its peak memory). A serving
process, like a worker, then runs a fixed mix of queries through the app's test client and prints
p50/p95 (overall and per kind of query) and its own peak memory. The same corpus goes into a plain
SQLite FTS5 table and the same word queries run against it as the reference; the ratio of our p95 to
FTS5's p95 is printed last. --work DIR keeps the database and index for the next run.
A script, not a test: it prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = {
    "en": "naloxone support group recovery treatment counseling family youth housing employment peer crisis "
          "syringe test strips outpatient residential detox withdrawal church school prevention meeting free "
          "walk-in clinic program help education overdose training mobile team court reentry coaching".split(),
    "es": "naloxona grupo apoyo recuperación tratamiento consejería familia jóvenes vivienda empleo pares crisis "
          "jeringas tiras reactivas ambulatorio residencial desintoxicación iglesia escuela prevención reunión "
          "gratis clínica programa ayuda educación sobredosis capacitación equipo corte reinserción".split(),
    "vi": "hỗ trợ nhóm phục hồi điều trị tư vấn gia đình thanh niên nhà ở việc làm khủng hoảng cai nghiện "
          "trường học phòng ngừa miễn phí phòng khám chương trình giúp đỡ giáo dục quá liều đào tạo".split(),
    "zh": "纳洛酮 支持小组 康复 治疗 咨询 家庭 青少年 住房 就业 同伴 危机 注射器 门诊 住院 戒毒 教会 学校 预防 免费 诊所 项目 帮助 教育 过量 培训".split(),
    "ar": "نالوكسون مجموعة دعم تعافي علاج استشارة أسرة شباب سكن توظيف أقران أزمة حقن عيادة خارجية سكني "
          "إزالة السموم كنيسة مدرسة وقاية مجاني برنامج مساعدة تعليم جرعة زائدة تدريب".split(),
}
TEXT_LOCALE = {"zh": "zh_Hans"}  # listing text is stored under the site's locale code; "zh" stays the language spoken
PORTLAND_ZIPS = ["97201", "97202", "97203", "97205", "97206", "97209", "97211", "97212", "97214", "97216",
                 "97217", "97220", "97230", "97233", "97236", "97266", "97030", "97005"]


def sentence(rng: random.Random, locale: str, n: int) -> str:
    words = WORDS[locale]
    joiner = "" if locale == "zh" else " "
    return joiner.join(rng.choice(words) for _ in range(n))


def build_corpus(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    corpus = []
    for i in range(n):
        extra = rng.choice(["es", "vi", "zh", "ar"])
        corpus.append({
            "i": i,
            "name_en": sentence(rng, "en", 4).capitalize(),
            "desc_en": sentence(rng, "en", 30),
            "name_x": sentence(rng, extra, 4),
            "desc_x": sentence(rng, extra, 30),
            "locale_x": extra,
            "zip": rng.choice(PORTLAND_ZIPS),
            "lat": 45.40 + rng.random() * 0.25,
            "lon": -122.85 + rng.random() * 0.45,
        })
    return corpus


def load_into_app(app, corpus: list[dict]) -> None:
    """Bulk-insert the corpus as organizations, services, locations and translations."""
    from outreach.directory.models import Attribute, TaxonomyTerm
    from outreach.extensions import db

    with app.app_context():
        terms = list(db.session.scalars(db.select(TaxonomyTerm.id)))
        conn = db.session.connection()
        meta = db.metadata.tables
        orgs, services, locations, addresses, sals, langs, texts, attrs, schedules = ([] for _ in range(9))
        org_ids = [str(uuid.uuid4()) for _ in range(max(1, len(corpus) // 4))]
        for org_id in org_ids:
            orgs.append({"id": org_id, "name": f"Organization {org_id[:8]}", "description": "", "source_locale": "en",
                         "is_demo": True, "last_modified": None})
        rng = random.Random(3)
        for row in corpus:
            sid, lid = str(uuid.uuid4()), str(uuid.uuid4())
            org = org_ids[row["i"] % len(org_ids)]
            services.append({"id": sid, "organization_id": org, "name": row["name_en"], "description": row["desc_en"],
                             "status": "active", "source_locale": "en", "assured_date": date(2026, 10, 1), "last_modified": None})
            locations.append({"id": lid, "organization_id": org, "location_type": "physical", "latitude": row["lat"],
                              "longitude": row["lon"], "is_address_confidential": False, "source_locale": "en"})
            addresses.append({"id": str(uuid.uuid4()), "location_id": lid, "address_1": "1 Example St", "city": "Portland",
                              "state_province": "OR", "postal_code": row["zip"], "country": "US", "address_type": "physical"})
            sals.append({"id": str(uuid.uuid4()), "service_id": sid, "location_id": lid})
            langs.append({"id": str(uuid.uuid4()), "service_id": sid, "code": "en"})
            langs.append({"id": str(uuid.uuid4()), "service_id": sid, "code": row["locale_x"]})
            for field, key in (("name", "name_x"), ("description", "desc_x")):
                texts.append({"link_entity": "service", "link_id": sid, "field": field, "locale": TEXT_LOCALE.get(row["locale_x"], row["locale_x"]),
                              "value": row[key], "is_stale": False, "updated_at": None})
            for term_id in rng.sample(terms, 2):
                attrs.append({"id": str(uuid.uuid4()), "link_id": sid, "link_entity": "service", "taxonomy_term_id": term_id})
            schedules.append({"id": str(uuid.uuid4()), "service_id": sid, "timezone_name": "America/Los_Angeles",
                              "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": dtime(9), "closes_at": dtime(17),
                              "source_locale": "en"})
        now = __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
        for table, rows in (("organization", orgs), ("service", services), ("location", locations), ("address", addresses),
                            ("service_at_location", sals), ("language", langs), ("translated_text", texts),
                            ("attribute", attrs), ("schedule", schedules)):
            for r in rows:
                for k in ("last_modified", "updated_at"):
                    if k in r:
                        r[k] = now
            for start in range(0, len(rows), 5000):
                conn.execute(meta[table].insert(), rows[start:start + 5000])
        db.session.commit()
        del Attribute


def query_mix(rng: random.Random, count: int) -> tuple[list[tuple[str, str]], list[str]]:
    """([(kind, URL for the app)], plain word queries shared with FTS5)."""
    urls, words = [], []
    kinds = ["word", "two", "phrase", "prefix", "typo", "filter", "near"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        locale = rng.choice(["en", "es"])
        vocab = WORDS["en" if locale == "en" else rng.choice(["en", "es"])]
        w1, w2 = rng.choice(vocab), rng.choice(vocab)
        if kind == "word":
            urls.append((kind, f"/{locale}/search?q={w1}")); words.append(w1)
        elif kind == "two":
            urls.append((kind, f"/{locale}/search?q={w1}+{w2}")); words.append(f"{w1} {w2}")
        elif kind == "phrase":
            urls.append((kind, f'/{locale}/search?q="{w1}+{w2}"')); words.append(f"{w1} {w2}")
        elif kind == "prefix":
            urls.append((kind, f"/{locale}/search?q={w1[:4]}"))
        elif kind == "typo":
            typo = w1[:2] + w1[3:2:-1] + w1[2] + w1[4:] if len(w1) > 4 else w1
            urls.append((kind, f"/{locale}/search?q={typo}"))
        elif kind == "filter":
            urls.append((kind, f"/{locale}/search?q={w1}&cost=free&flag=walk-in"))
        else:
            urls.append((kind, f"/{locale}/search?q={w1}&near={rng.choice(PORTLAND_ZIPS)}"))
    return urls, words


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backend", choices=("whoosh", "tantivy"), help="one engine (default: both, one after the other)")
    parser.add_argument("--work", type=Path, help="keep the database and index in this folder and reuse them on the next run "
                        "(skips loading and indexing when they are there)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the query runs to this file")
    parser.add_argument("--phase", choices=("build", "serve"), help=argparse.SUPPRESS)  # the two child processes
    args = parser.parse_args()
    if args.backend is None:
        for backend in ("whoosh", "tantivy"):
            print(f"== {backend} ==", flush=True)
            subprocess.run([sys.executable, __file__, "--listings", str(args.listings), "--queries", str(args.queries),
                            "--backend", backend], check=False)
        return
    if args.phase == "build":
        build(args.listings, args.backend, args.work)
    elif args.phase == "serve":
        serve(args.listings, args.queries, args.backend, args.work, args.profile)
    else:
        # Building and serving each in a process of its own, as in production (a reindex is a CLI
        # command; a gunicorn worker only serves): each prints its own peak memory.
        work = args.work or Path(tempfile.mkdtemp(prefix="outreach-bench-"))
        common = ["--listings", str(args.listings), "--backend", args.backend, "--work", str(work)]
        if not (work / "outreach.sqlite3").exists():
            subprocess.run([sys.executable, __file__, "--phase", "build", *common], check=True)
        else:
            print(f"backend: {args.backend}  listings: {args.listings:,}  database and index reused from {work}", flush=True)
        serve_args = ["--phase", "serve", "--queries", str(args.queries), *common]
        if args.profile:
            serve_args += ["--profile", str(args.profile)]
        subprocess.run([sys.executable, __file__, *serve_args], check=True)


def _app(work: Path, backend: str):
    from outreach import create_app

    # The page cache off: every query is searched and rendered, as a first visit would be.
    return create_app({"INSTANCE_PATH": str(work), "SECRET_KEY": "bench", "PAGE_SIZE": 20, "SEARCH_BACKEND": backend,
                       "PAGE_CACHE_ENTRIES": 0})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(listings: int, backend: str, work: Path) -> None:
    """Generate the corpus, load it into a fresh database and build the index."""
    from flask_migrate import upgrade

    work.mkdir(parents=True, exist_ok=True)
    app = _app(work, backend)
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    runner.invoke(args=["outreach", "geo", "load"])
    runner.invoke(args=["outreach", "content", "load"])  # taxonomy (and the demo listings)
    corpus = build_corpus(listings)
    started = time.perf_counter()
    load_into_app(app, corpus)
    print(f"backend: {backend}  listings: {listings:,}  loaded into the database in {time.perf_counter() - started:.1f} s")
    del corpus

    from outreach.search.services import reindex

    started = time.perf_counter()
    with app.app_context():
        count = reindex(timeout=600)
    seconds = time.perf_counter() - started
    print(f"index build ({backend}): {count:,} documents in {seconds:.1f} s, "
          f"{folder_mb(Path(app.config['SEARCH_INDEX_DIR'])):.1f} MB on disk")
    print(f"peak memory (build process: corpus, database load, reindex): {_peak_mb():.0f} MB", flush=True)


def serve(listings: int, queries: int, backend: str, work: Path, profile: Path | None = None) -> None:
    """Answer the query mix through the app (as a worker would), then the same word queries with FTS5."""
    app = _app(work, backend)
    rng = random.Random(11)
    urls, words = query_mix(rng, queries)
    client = app.test_client()
    for _kind, url in urls[:10]:  # warm the long-lived searcher and caches
        client.get(url)
    timings, errors, by_kind = [], 0, {}
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for kind, url in urls:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        errors += response.status_code != 200
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    ours_p50, ours_p95 = percentile(timings, 50), percentile(timings, 95)
    print(f"ours ({backend}, Flask page render, {len(urls)} queries): p50 {ours_p50:.1f} ms  p95 {ours_p95:.1f} ms  errors {errors}")
    print("  by kind: " + "  ".join(f"{kind} p50 {percentile(t, 50):.0f}/p95 {percentile(t, 95):.0f}" for kind, t in by_kind.items()))
    print(f"peak memory (serving process: app, index reader, caches): {_peak_mb():.0f} MB", flush=True)

    corpus = build_corpus(listings)
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE doc USING fts5(name, description, name_x, description_x, tokenize='unicode61 remove_diacritics 2')")
    started = time.perf_counter()
    fts.executemany("INSERT INTO doc VALUES (?, ?, ?, ?)", [(r["name_en"], r["desc_en"], r["name_x"], r["desc_x"]) for r in corpus])
    fts.commit()
    print(f"fts5 build: {time.perf_counter() - started:.1f} s")
    fts_timings = []
    for text in words:
        match = " ".join('"' + w.replace('"', "") + '"' for w in text.split())
        started = time.perf_counter()
        fts.execute("SELECT rowid FROM doc WHERE doc MATCH ? ORDER BY rank LIMIT 20", (match,)).fetchall()
        fts.execute("SELECT count(*) FROM doc WHERE doc MATCH ?", (match,)).fetchone()
        fts_timings.append((time.perf_counter() - started) * 1000)
    fts_p50, fts_p95 = percentile(fts_timings, 50), percentile(fts_timings, 95)
    print(f"fts5 ({len(words)} word queries, top 20 + count): p50 {fts_p50:.1f} ms  p95 {fts_p95:.1f} ms")
    print(f"ratio of p95 (ours / fts5): {ours_p95 / fts_p95:.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main()

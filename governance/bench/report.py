"""The benchmark's table, with each figure checked against the targets of issue 9, and its JSON."""

PAGE_P95_MS = 150
PAGE_RATIO = 10
PAGE_QUERIES = 15
GATE_MS = 10
SWEEP_SECONDS = 60
PACK_SECONDS = 30
PACK_MB = 800


def page_rows(pages):
    trivial = pages[0]
    rows = []
    for page in pages:
        ratio = page.p95 / trivial.p95 if trivial.p95 else 0
        misses = []
        if page is not trivial:
            if page.p95 > PAGE_P95_MS:
                misses.append(f"p95 over {PAGE_P95_MS} ms")
            if ratio > PAGE_RATIO:
                misses.append(f"over {PAGE_RATIO}× trivial")
            if page.queries > PAGE_QUERIES:
                misses.append(f"over {PAGE_QUERIES} queries")
        rows.append(
            {
                "page": page.name,
                "as": page.role,
                "url": page.url,
                "requests": len(page.runs_ms),
                "median_ms": round(page.median, 1),
                "p95_ms": round(page.p95, 1),
                "median_ratio": round(page.median / trivial.median, 1) if trivial.median else 0,
                "p95_ratio": round(ratio, 1),
                "queries": page.queries,
                "misses": misses,
            }
        )
    return rows


def lines(result):
    """The report as printable lines."""
    out = [f"Benchmark of “{result['organisation']}” on {result['database']} ({result['counts']})", ""]
    if "pages" in result:
        out.append(f"{'page':<26}{'as':<22}{'median ms':>10}{'p95 ms':>9}{'×triv p95':>10}{'queries':>9}  target")
        for row in result["pages"]:
            verdict = "; ".join(row["misses"]) or "met"
            out.append(
                f"{row['page']:<26}{row['as']:<22}{row['median_ms']:>10.1f}{row['p95_ms']:>9.1f}"
                f"{row['p95_ratio']:>10.1f}{row['queries']:>9}  {verdict}"
            )
        out.append("")
    if "gate" in result:
        gate = result["gate"]
        verdict = "met" if gate["p95_ms"] <= GATE_MS else f"over {GATE_MS} ms"
        out.append(
            f"gate, 100 readings + 50 evidence: median {gate['median_ms']} ms, p95 {gate['p95_ms']} ms, "
            f"{gate['queries']} queries  {verdict}"
        )
    if "sweeps" in result:
        out.append(f"\n{'sweep':<22}{'made':>9}{'seconds':>9}  target")
        for row in result["sweeps"]:
            verdict = "met" if row["seconds"] <= SWEEP_SECONDS else f"over {SWEEP_SECONDS} s"
            out.append(f"{row['sweep']:<22}{row['made']:>9,}{row['seconds']:>9.2f}  {verdict}")
    if "pack" in result:
        pack = result["pack"]
        misses = [f"over {PACK_SECONDS} s"] * (pack["seconds"] > PACK_SECONDS) + [f"over {PACK_MB} MB"] * (
            pack["peak_rss_mb"] > PACK_MB
        )
        out.append(
            f"\npack of {pack['plans']} plans: {pack['pages']} pages, {pack['bytes']:,} bytes, {pack['seconds']} s, "
            f"peak {pack['peak_rss_mb']} MB  {'; '.join(misses) or 'met'}"
        )
    return out

"""Builders of test articles, in the project's own words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event

from newsbot.models import ArticleIn
from newsbot.store import SeedFile, SeedRecord, Store

CHINA = timezone(timedelta(hours=8))


def make_article(
    n: int = 0,
    *,
    title: str | None = None,
    body: tuple[str, ...] | None = None,
    tags: tuple[str, ...] = ("城市", "交通"),
    published: datetime | None = None,
    summary: str = "",
    source: str | None = "测试日报",
    url: str | None = None,
) -> ArticleIn:
    return ArticleIn(
        title=title or f"第{n}号测试新闻：城市交通持续改善",
        body=body
        or (
            f"本报讯 第{n}条新闻的第一段，介绍联合国相关会议在本市召开。",
            "第二段说明地铁线路调整后，早高峰通勤时间缩短了十分钟。",
        ),
        summary=summary or f"第{n}号新闻摘要。",
        summary_generated=not summary,
        source=source,
        published=published or datetime(2024, 1, 1, 8, 0, tzinfo=CHINA) + timedelta(hours=n),
        published_precision="second",
        author="李明",
        editor="王芳",
        breadcrumb=("新闻", "城市"),
        keywords=("交通",),
        tags=tags,
        url=url,
    )


def make_page_text(n: int = 0, *, extra: str = "") -> str:
    """A seed page in the style of a browser text dump, with chrome around the article."""
    return f"""Top
首页 > 新闻 > 城市观察 > 交通 > 正文

第{n}号测试新闻：城市交通持续改善

测试日报 记者 李明 2024-01-01 08:{n % 60:02d}:00
[摘要]第{n}号新闻的摘要：本市地铁线路调整后，早高峰通勤时间明显缩短。

  本报讯 第{n}条新闻的第一段，介绍联合国相关会议在本市召开，交通部门提前做好保障。

  第二段说明地铁线路调整后，早高峰通勤时间缩短了十分钟，市民普遍表示满意。{extra}

image.png

  第三段介绍下一步计划：交通部门将继续优化公交线路，提升城市交通服务水平。

  (记者 李明)

来源:测试日报

编辑:王芳

相关热词搜索:

上一篇:上一条测试新闻 下一篇:下一条测试新闻

表达看法

本地 新闻 娱乐 财经 数码 教育
"""


def fill(store: Store, articles: Sequence[ArticleIn]) -> None:
    store.save_seed_files(
        [
            SeedFile(f"t{i}.txt", f"h{i}", 1, (SeedRecord(f"t{i}.txt", article),))
            for i, article in enumerate(articles)
        ]
    )


def candidate_query_plan(store: Store, run: Callable[[], object]) -> str:
    """The database's plan for the digest candidate query that ``run`` makes (the
    statement reading ``articles`` with ``delivered``), one line."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM articles" in statement and "delivered" in statement:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    [(statement, parameters)] = statements
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return " | ".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table otherwise
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        return " | ".join(str(row[0]) for row in rows)

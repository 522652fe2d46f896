"""Builders of test articles, in the project's own words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newsbot.models import ArticleIn

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

"""Text helpers shared by the parsing rules: spaces, full-width and 繁體 folding, scripts.

Label matching works on a line's *key*: the text with full-width ASCII, small form
variants and odd spaces folded (``：``/``:``, ``（``/``(``) and the traditional forms
of label characters mapped to simplified ones, so all spellings of a label match alike.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CJK",
    "ENDS_SENTENCE",
    "LABEL_WORD",
    "NOT_WORDISH",
    "SENTENCE_PUNCT",
    "SPACES",
    "URL",
    "WIDGET_WORD",
    "ZERO_WIDTH",
    "ends_sentence",
    "fold",
    "has_cjk",
    "has_traditional",
    "nfkc",
    "squash",
]

SPACES = re.compile(r"[\s\u00a0\u3000\u2000-\u200a\u202f\u205f]+")


ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


NOT_WORDISH = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")


SENTENCE_PUNCT = re.compile(r"[，。！？；,!?;]")


ENDS_SENTENCE = re.compile(r"[。！？!?…][”’」』)）\"']*$")


URL = re.compile(r"https?://[^\s<>\"'）)】\]]+|www\.[a-z0-9-]+\.[a-z.]+", re.IGNORECASE)


def squash(text: str) -> str:
    """Strip a line and collapse every run of (NBSP, ideographic, ...) spaces to one space."""
    return SPACES.sub(" ", ZERO_WIDTH.sub("", text)).strip()


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Full NFKC of a whole page costs about a millisecond; label matching only needs the
# full-width ASCII forms, small form variants and odd spaces folded, which a regex
# finds in C and a table maps.
_FOLDABLE = "".join(
    chr(c) for c in (*range(0xFF01, 0xFF5F), *range(0xFE50, 0xFE6C), 0x3000, 0x00A0, 0xFE30)
)


# Traditional characters of the labels and widgets the rules look for, mapped one to
# one onto their simplified forms, so a 繁體 page's 責任編輯 / 記者 / 來源 / 標籤 match.
# (Only keys are mapped; field values are restored from the page's own text.)
_TRADITIONAL = dict(
    zip(
        "責編輯記來頁標籤簽關鍵詞時間發佈聞後攝訊報導語閱讀點擊覽據熱門當現轉載權聲圖為題網號專欄"
        "論評錄註內簡體臺電視廣員實習選審寫採執筆數薦華國際區態頻動傳遞",
        "责编辑记来页标签签关键词时间发布闻后摄讯报导语阅读点击览据热门当现转载权声图为题网号专栏"
        "论评录注内简体台电视广员实习选审写采执笔数荐华国际区态频动传递",
        strict=True,
    )
)


_FOLD_TABLE = {ch: unicodedata.normalize("NFKC", ch) for ch in _FOLDABLE} | _TRADITIONAL


_FOLD = re.compile("[" + re.escape(_FOLDABLE + "".join(_TRADITIONAL)) + "]")


_HAS_TRADITIONAL = re.compile("[" + "".join(_TRADITIONAL) + "]")


def has_traditional(text: str) -> bool:
    return _HAS_TRADITIONAL.search(text) is not None


def fold(text: str) -> str:
    """Fold full-width punctuation, letters and digits to ASCII (a cheap, partial NFKC)."""
    return _FOLD.sub(lambda m: _FOLD_TABLE[m.group()], text)


def ends_sentence(text: str) -> bool:
    """Does ``text`` end with a sentence end (。！？!? …, closing quotes allowed)?"""
    return ENDS_SENTENCE.search(fold(text)) is not None


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


LABEL_WORD = re.compile(
    r"编辑|责编|来源|作者|记者|时间|日期|选稿|校对|审核|监制|出品|通讯员|实习生|摄影|摄像|"
    r"图片|美术|视频|统筹|值班|"
    r"点击|浏览|阅读|评论|\d{4}"
)


WIDGET_WORD = re.compile(
    r"分享|字号|阅读|浏览|评论|收藏|打印|作者|原创|点击|关注|举报|纠错|朗读|发布|发表|时间|日期|来源|"
    r"登录|注册|首页|客户端|订阅|微信|微博|次|人参与"
)

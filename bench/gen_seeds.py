"""Generate synthetic seed stores: text dumps of Chinese news pages.

Each page imitates the *layout* of a saved news web page (navigation, breadcrumb,
title, a source/date line, a summary, indented paragraphs, image placeholders,
a byline, source and editor lines, related keywords, previous/next links and a
footer menu). The wording is built from this module's own word lists; no
third-party article text is reused.

Usage::

    python bench/gen_seeds.py OUT_DIR --count 10000 [--seed 0] [--encoding-mix]

or, from Python, ``generate_store(Path("store"), 100, seed=1)``.

Words are drawn with Zipf-like weights (a word's weight is 1/rank within its
list), so some tags and search terms are common and others rare, as in a real
store. Every page is a pure function of ``(seed, index)``: generation is
deterministic and each file can be produced independently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["generate_store", "main", "make_page", "page_rng", "write_page"]


# --------------------------------------------------------------------------
# Vocabulary. Lists are ordered from common to rare: weights fall off as 1/rank.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One news section: where it sits in the site and the words it uses."""

    section: str
    breadcrumb: tuple[str, ...]
    words: tuple[str, ...]
    events: tuple[str, ...]
    sites: tuple[str, ...]
    orgs: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TOPICS: tuple[Topic, ...] = (
    Topic(
        section="财经",
        breadcrumb=("新闻", "财经频道", "经济观察"),
        words=_split(
            """营商 营商环境 企业 市场主体 融资 投资 消费 中小企业 民营经济 金融
            招商引资 实体经济 产业链 税收 减税降费 信贷 银行 外贸 出口 供应链
            数字经济 普惠金融 营业收入 上市公司 跨境电商 债券 首店经济 产业园区
            担保 资本市场 直播带货 进口 惠企政策 纳税服务 保险 利率 联合授信
            知识产权质押 期货 外资 消费券 总部经济 商圈 会展 汇率 转贷 信用修复
            票据 股权投资 天使基金 供销合作 冷链仓储 专精特新 服务外包 离岸贸易"""
        ),
        events=_split("项目签约仪式 银企对接会 招商推介会 投资洽谈会 金融服务月 消费季"),
        sites=_split("政务服务大厅 商业综合体 产业园 步行街 会展中心 企业服务中心"),
        orgs=_split("市发改委 区商务局 市场监管局 金融工作局 税务部门 投资促进局"),
    ),
    Topic(
        section="科技",
        breadcrumb=("新闻", "科技", "创新前沿"),
        words=_split(
            """科技创新 研发 人工智能 大数据 硬科技 芯片 成果转化 半导体 孵化器
            实验室 智能制造 云计算 专利 工业互联网 科研院所 新能源汽车 动力电池
            机器人 算法 物联网 数据中心 算力 技术攻关 联合研发 软件 卫星 量子
            传感器 光子 创新平台 北斗导航 无人机 集成电路 新材料 生物医药 增材制造
            虚拟现实 区块链 储能 氢能 航空发动机 光刻 基因测序 类脑计算 柔性屏
            低轨星座 边缘计算 数字孪生 激光雷达 碳化硅 超导 脑机接口"""
        ),
        events=_split("科技成果发布会 创新创业大赛 技术交流会 科普周 开放实验室日 路演"),
        sites=_split("孵化基地 研发中心 重点实验室 科创园区 生产车间 众创空间"),
        orgs=_split("区科技局 工信部门 科学技术协会 高校科研团队 创新联合体 技术转移中心"),
    ),
    Topic(
        section="教育",
        breadcrumb=("新闻", "教育", "校园动态"),
        words=_split(
            """学校 学生 教师 课堂 校园 家长 课后服务 义务教育 招生 高校 毕业生
            就业 双减 素质教育 幼儿园 学位 师资 职业教育 研学 阅读 劳动教育 教研
            中考 高考 图书馆 科普 心理健康 集团化办学 课程 社团 思政课 实训基地
            校车 食堂 作业管理 体育课 美育 书法 研究生 留学生 校企合作 学前教育
            非遗进校园 家校共育 教育督导 特殊教育 营养午餐 网络课堂 校园足球
            博士后 助学金 研学旅行 自然课堂"""
        ),
        events=_split("开学典礼 毕业典礼 教学开放日 招聘会 读书节 科技节 家长会"),
        sites=_split("教学楼 操场 实验室 图书馆 报告厅 社区课堂"),
        orgs=_split("区教育局 教研室 学校党支部 招生办公室 家长委员会 团委"),
    ),
    Topic(
        section="体育",
        breadcrumb=("新闻", "体育", "赛事"),
        words=_split(
            """全民健身 赛事 运动员 比赛 全运会 马拉松 冠军 训练 体育场馆 足球
            篮球 青少年 志愿者 决赛 金牌 田径 乒乓球 游泳 健身步道 联赛 教练
            羽毛球 开幕式 体质监测 排球 射箭 网球 自行车 攀岩 武术 跳水 举重
            击剑 皮划艇 棋类 帆船 冰雪运动 滑雪 轮滑 橄榄球 铁人三项 龙舟 太极拳
            飞盘 定向越野 社区运动会 电子竞技 马术 垒球 空竹 毽球"""
        ),
        events=_split("全民健身月 城市马拉松 青少年锦标赛 社区运动会 联赛揭幕战 火炬传递"),
        sites=_split("体育中心 奥体中心 全民健身中心 训练基地 健身广场 滨河步道"),
        orgs=_split("市体育局 体育总会 赛事组委会 运动管理中心 单项协会 志愿服务队"),
    ),
    Topic(
        section="城市",
        breadcrumb=("新闻", "本地", "城市生活"),
        words=_split(
            """社区 街道 居民 便民 老旧小区改造 志愿服务 城市更新 物业 文明城市
            公园 养老服务 垃圾分类 停车位 网格员 民生实事 菜市场 夜间经济 背街小巷
            文旅 市容 城中村 口袋公园 绿地 适老化改造 充电设施 加装电梯 一刻钟便民生活圈
            社区食堂 楼院 消防通道 燃气管网 供暖 雨污分流 灯光秀 集市 历史街区
            非遗 文创 城墙 书店 露营地 早市 托育 家政服务 共享菜园 社区图书角
            城市客厅 街头艺人 文化馆 邻里节"""
        ),
        events=_split("邻里文化节 便民服务日 市集活动 文明实践活动 消夏晚会 议事会"),
        sites=_split("社区服务站 小区广场 党群服务中心 新时代文明实践站 街心公园 便民市场"),
        orgs=_split("街道办事处 社区居委会 住建部门 城管部门 物业公司 文旅局"),
    ),
    Topic(
        section="交通",
        breadcrumb=("新闻", "本地", "交通出行"),
        words=_split(
            """地铁 公交 出行 道路 线路 站点 通车 交警 非机动车 停车 高速公路
            拥堵 客流 换乘 高铁 机场 共享单车 立交 隧道 桥梁 物流 航线 交通管制
            充电桩 货运 网约车 定制公交 公交专用道 信号灯 斑马线 电动自行车 头盔
            中欧班列 国际港务区 快递 枢纽 城际铁路 绕城高速 匝道 护栏 智慧交通
            潮汐车道 停车诱导 夜班公交 慢行系统 过街天桥 铁路货场 通勤班车
            交通组织优化 车路协同"""
        ),
        events=_split("通车仪式 交通安全宣传周 文明交通劝导 试运营 春运 应急演练"),
        sites=_split("地铁站 公交枢纽 高速收费站 十字路口 火车站 机场航站楼"),
        orgs=_split("市交通运输局 交警支队 地铁运营公司 公交集团 城投公司 铁路部门"),
    ),
    Topic(
        section="环境",
        breadcrumb=("新闻", "生态", "环保"),
        words=_split(
            """生态 环保 空气质量 优良天数 绿化 水质 污水处理 湿地 植树 河长制
            大气污染 碳达峰 碳中和 节能减排 清洁能源 扬尘 秦岭 光伏 生物多样性
            固体废物 候鸟 水土保持 蓝天保卫战 噪声治理 秸秆 黑臭水体 再生水 林长制
            生态修复 国家公园 土壤污染 环境监测 排污许可 重污染天气 油烟治理
            冬季清洁取暖 雨水花园 海绵城市 垃圾焚烧 危险废物 碳普惠 绿色建筑
            野生动物 朱鹮 大熊猫 金丝猴 珍稀植物 森林防火 生态补偿 水源地"""
        ),
        events=_split("植树节活动 环保宣传月 世界环境日活动 巡河行动 护鸟行动 督察"),
        sites=_split("湿地公园 河道 污水处理厂 森林公园 水源保护区 监测站"),
        orgs=_split("生态环境局 林业部门 水务局 环境监察大队 自然资源局 河长办"),
    ),
    Topic(
        section="健康",
        breadcrumb=("新闻", "民生", "健康"),
        words=_split(
            """医院 医保 健康 义诊 家庭医生 公共卫生 疫苗 中医药 患者 医疗服务
            健康体检 急救 慢性病 分级诊疗 互联网医院 医联体 药品集采 核酸检测
            儿科 心理咨询 血液 献血 妇幼保健 康复 护理 远程会诊 基层医疗 卫生院
            口腔 眼科 健康码 疾控 传染病 老年病 安宁疗护 医养结合 营养 睡眠
            罕见病 医疗器械 中药材 针灸"""
        ),
        events=_split("义诊活动 健康讲座 无偿献血活动 医疗帮扶 急救培训 健康周"),
        sites=_split("门诊大厅 社区卫生服务中心 急诊科 住院部 体检中心 康复中心"),
        orgs=_split("市卫健委 医保局 疾控中心 人民医院 中医医院 红十字会"),
    ),
)

# Words every section uses; ordered common to rare as well.
COMMON_WORDS = _split(
    """发展 服务 工作 项目 建设 群众 企业 创新 质量 机制 体系 政策 保障 效率
    水平 能力 部门 重点 区域 市民 环境 管理 平台 经济 社会 数字化 安全 品牌
    资源 基础设施 问题 需求 责任 作风 标准 流程 信息 渠道 协同 联合 特色 示范
    试点 样板 短板 堵点 难点 痛点 动能 活力 格局 路径 成效 经验 合力 共识"""
)

VERBS = _split(
    """推进 加快 深化 完善 落实 强化 推动 实施 开展 启动 打造 培育 引进 建立
    健全 统筹 优化 提升 拓展 聚焦 夯实 压实 破解 补齐 做强 做优 激发 释放"""
)
ADJECTIVES = _split("便捷 高效 舒适 宜居 安全 有序 整洁 智能 绿色 温馨 规范 透明 精准 贴心")
PEOPLE = _split(
    "市民 居民 群众 企业家 学生 家长 游客 乘客 志愿者 工作人员 参赛选手 老人 职工 从业者"
)
UNITS = _split("企业 单位 学校 社区 机构 团队 商户 协会")
SLOGANS = _split(
    """一网通办 最多跑一次 马上就办 百日攻坚 结对帮扶 接诉即办 一窗受理 全程网办
    首问负责 容缺受理 上门服务 送政策上门 暖心行动 清风行动 春风行动 护苗行动"""
)
PLACES = _split(
    """高新区 经开区 曲江新区 浐灞生态区 雁塔区 碑林区 莲湖区 新城区 未央区
    灞桥区 长安区 临潼区 阎良区 鄠邑区 高陵区 西咸新区 航天基地 国际港务区
    周至县 蓝田县 咸阳市 宝鸡市 渭南市 铜川市 汉中市 延安市 榆林市 安康市 商洛市"""
)
MEDIA = _split(
    """高新区 古城晚报 西部商报 秦川日报 本网 区融媒体中心 新闻中心 长安观察
    渭水新闻网 城市快讯 三原资讯 关中晨报"""
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"  # noqa: E501
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂华建国志红玲晓宇浩然子涵思雨欣怡梦洁皓博文轩一鸣嘉琪晨阳佳悦"  # noqa: E501
FOOTERS = (
    "本地 新闻 娱乐 财经 数码 教育",
    "关于我们 | 联系方式 | 广告服务 | 网站地图 | 版权声明",
    "首页 新闻 视频 图片 专题 互动 服务",
    "网站首页 - 政务公开 - 便民服务 - 投诉建议",
)
NAV_TOPS = ("Top", "返回顶部", "网站导航", "")


# --------------------------------------------------------------------------
# Sentence templates, compiled once into (literal, slot) parts.
# Slots: P place, W topic word, C common word, V verb, A adjective, H people,
# U unit, O organisation, E event, T site, S slogan, N count, F amount,
# R percentage, Y year, M month, K small count, X index-derived number,
# G person name.
# --------------------------------------------------------------------------

SENTENCES = (
    "近年来，{P}围绕{W}和{W}，{V}{C}，{V}{W}，取得了明显成效。",
    "据{O}介绍，今年以来累计{V}{W}项目{N}个，完成投资{F}亿元，同比增长{R}%。",
    "“{V}{W}，关键在{C}。”{O}相关负责人说，下一步将{V}{C}，让{H}有更多获得感。",
    "记者从{P}{O}获悉，{Y}年{M}月起，{P}将全面{V}{W}工作。",
    "在{P}的{T}，{H}排起长队，{W}的新变化随处可见。",
    "截至{M}月底，{P}已建成{W}相关设施{N}处，服务{H}{N}万人次。",
    "{W}是{V}{C}的重要抓手，也是{V}{W}的关键环节。",
    "此次{E}由{O}主办，共吸引{N}余家{U}参与，现场达成合作意向{N}项。",
    "业内人士认为，{W}与{W}深度融合，将为{C}注入新动能。",
    "{P}相关负责人表示，将以{W}为切入点，{V}{C}，{V}{C}，持续{V}{W}。",
    "活动现场，{H}纷纷表示，{W}让日常生活变得更加{A}、{A}。",
    "据统计，{Y}年{P}{W}规模达到{F}亿元，占全市比重为{R}%。",
    "与此同时，{P}还开展“{S}”行动，梳理{W}事项{N}项，办理时限压缩{R}%。",
    "“以前办一件事要跑好几趟，现在{S}，{A}多了。”{H}{G}告诉记者。",
    "{O}将{W}纳入年度考核，对{C}问题建立台账、限时销号。",
    "从{W}到{W}，从{C}到{C}，{P}正在走出一条{A}发展的新路。",
    "目前，{P}共有{W}类{U}{N}家，其中{Y}年新增{N}家。",
    "为{V}{W}，{P}专门成立工作专班，实行“一项目一专班”{C}机制。",
    "{G}是一名在{P}工作了{K}年的{H}，对{W}的变化感受最深。",
    "在{W}方面，{P}出台{N}条具体措施，重点解决{C}和{C}问题。",
    "按照计划，{W}将于{Y}年{M}月底前全面完成，届时{H}出行和生活将更加{A}。",
    "下一步，{P}将继续{V}{W}，{V}{C}，为全市高质量发展贡献力量。",
    "这一做法得到{H}普遍认可，满意度达到{R}%以上。",
    "{O}工作人员现场讲解{W}知识，并发放宣传资料{N}余份。",
    "{P}还依托{T}设立{W}专区，提供“{S}”服务。",
)
SUBHEADINGS = (
    "{V}{W}　{V}{C}",
    "{W}有保障　{C}再提升",
    "从“{S}”到“{S}”",
    "{A}{W}　{A}{C}",
)
SUMMARIES = (
    "{P}{V}{W}，{V}{C}。{Y}年以来，{P}累计{V}{W}项目{N}个，{H}满意度持续提升。",
    "记者从{O}获悉，{P}日前出台{W}{N}条措施，聚焦{C}和{C}，力争年内见效。",
    "“{V}{W}，{V}{C}。”{P}以{W}为抓手，推动{C}不断{V}。",
)
TITLES = (
    "{P}{V}{W} {X}个{W}项目集中开工",
    "{P}{Y}年{W}{X}项重点任务出炉",
    "{X}名{H}参与{P}{W}{E}",
    "第{X}期{W}{E}在{P}举行",
    "{P}新增{W}{X}处 {H}生活更{A}",
    "{V}{W} {P}{X}家{U}获评{W}示范单位",
    "{P}：{X}项{W}举措助力{C}{V}",
    "{W}“{S}” {P}今年已办结{X}件",
)

_SLOT = re.compile(r"\{([A-Z])\}")
Template = tuple[tuple[str, str], ...]


def _compile(template: str) -> Template:
    """Split a template into (literal, slot) pairs; the last slot may be empty."""
    pieces = _SLOT.split(template)
    literals = pieces[0::2]
    slots = [*pieces[1::2], ""]
    return tuple(zip(literals, slots, strict=True))


_SENTENCES = tuple(_compile(t) for t in SENTENCES)
_SUBHEADINGS = tuple(_compile(t) for t in SUBHEADINGS)
_SUMMARIES = tuple(_compile(t) for t in SUMMARIES)
_TITLES = tuple(_compile(t) for t in TITLES)


def _zipf_cum_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(n)))


class _Filler:
    """Fills template slots for one article; ``rng`` is the only randomness."""

    def __init__(self, rng: random.Random, topic: Topic, index: int) -> None:
        self.rng = rng
        self.topic = topic
        self.index = index
        self.year = rng.randint(2018, 2023)
        self.place = rng.choice(PLACES)
        # A rarely chosen second section gives some cross-topic vocabulary.
        self.other = rng.choice(TOPICS)
        self.fillers: dict[str, Callable[[], str]] = {
            "P": self._place,
            "W": self._word,
            "C": lambda: self._zipf(COMMON_WORDS),
            "V": lambda: rng.choice(VERBS),
            "A": lambda: rng.choice(ADJECTIVES),
            "H": lambda: rng.choice(PEOPLE),
            "U": lambda: rng.choice(UNITS),
            "O": lambda: rng.choice(topic.orgs),
            "E": lambda: rng.choice(topic.events),
            "T": lambda: rng.choice(topic.sites),
            "S": lambda: rng.choice(SLOGANS),
            "N": lambda: str(rng.randint(3, 480)),
            "F": lambda: f"{rng.uniform(0.5, 900):.1f}",
            "R": lambda: f"{rng.uniform(1, 99):.1f}",
            "Y": lambda: str(rng.randint(self.year - 2, self.year)),
            "M": lambda: str(rng.randint(1, 12)),
            "K": lambda: str(rng.randint(2, 30)),
            "X": lambda: str(index + 1),
            "G": lambda: person_name(rng),
        }

    def _zipf(self, words: Sequence[str]) -> str:
        return self.rng.choices(words, cum_weights=_cum_weights(words))[0]

    def _word(self) -> str:
        words = self.other.words if self.rng.random() < 0.08 else self.topic.words
        return self._zipf(words)

    def _place(self) -> str:
        return self.place if self.rng.random() < 0.8 else self.rng.choice(PLACES)

    def fill(self, template: Template) -> str:
        out: list[str] = []
        for literal, slot in template:
            out.append(literal)
            if slot:
                out.append(self.fillers[slot]())
        return "".join(out)


_CUM_WEIGHTS: dict[int, list[float]] = {}


def _cum_weights(words: Sequence[str]) -> list[float]:
    key = id(words)
    weights = _CUM_WEIGHTS.get(key)
    if weights is None:
        weights = _CUM_WEIGHTS[key] = _zipf_cum_weights(len(words))
    return weights


def person_name(rng: random.Random) -> str:
    """A plausible two- or three-character Chinese personal name."""
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


# --------------------------------------------------------------------------
# Page assembly.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    topic: Topic
    place: str
    title: str
    summary: str
    body: list[str]
    reporter: str
    editor: str
    source: str
    published: dt.datetime
    keywords: list[str]
    prev_title: str
    next_title: str


def _body(filler: _Filler, index: int, target_chars: int) -> list[str]:
    rng = filler.rng
    lines: list[str] = []
    size = 0
    detail_at = rng.randint(1, 4)  # paragraph carrying the index-derived detail
    paragraph_no = 0
    while size < target_chars:
        sentences = [filler.fill(rng.choice(_SENTENCES)) for _ in range(rng.randint(2, 5))]
        if paragraph_no == detail_at:
            sentences.append(
                f"相关通知文号为{filler.place[:2]}发〔{filler.year}〕{index + 1}号，"
                f"共收集意见建议{(index * 7) % 900 + 12}条。"
            )
        paragraph = "".join(sentences)
        lines.append(paragraph)
        size += len(paragraph)
        paragraph_no += 1
        roll = rng.random()
        if roll < 0.15:
            lines.append("image.png")
        elif roll < 0.27:
            lines.append("@SUB@" + filler.fill(rng.choice(_SUBHEADINGS)))
    if paragraph_no <= detail_at:  # short article: still carry the detail
        lines.append(f"相关通知文号为{filler.place[:2]}发〔{filler.year}〕{index + 1}号。")
    return lines


def _parts(rng: random.Random, index: int) -> _Parts:
    topic = rng.choice(TOPICS)
    filler = _Filler(rng, topic, index)
    title = filler.fill(rng.choice(_TITLES))
    summary = filler.fill(rng.choice(_SUMMARIES))
    body = _body(filler, index, rng.randint(800, 2200))
    published = dt.datetime(filler.year, 1, 1) + dt.timedelta(
        seconds=rng.randrange(365 * 24 * 3600)
    )
    keywords = sorted({filler._word() for _ in range(rng.randint(0, 4))})
    # Neighbour links are titles of other (made-up) articles.
    prev_title = _Filler(rng, topic, max(index - 1, 1)).fill(rng.choice(_TITLES))
    next_title = _Filler(rng, rng.choice(TOPICS), index + 1).fill(rng.choice(_TITLES))
    return _Parts(
        topic=topic,
        place=filler.place,
        title=title,
        summary=summary,
        body=body,
        reporter=person_name(rng),
        editor=person_name(rng),
        source=rng.choice(MEDIA),
        published=published,
        keywords=keywords,
        prev_title=prev_title,
        next_title=next_title,
    )


def _paragraphs(body: list[str], indent: str) -> list[str]:
    out: list[str] = []
    for line in body:
        if line == "image.png":
            out.append("image.png")
        elif line.startswith("@SUB@"):
            out.append(indent + line[5:])
        else:
            out.append(indent + line)
    return out


def _layout_classic(rng: random.Random, p: _Parts) -> str:
    """The layout of the reference seed: ``[摘要]``, half-width colons."""
    crumbs = " > ".join(("首页", *p.topic.breadcrumb, p.place, "正文"))
    date = p.published.strftime("%Y-%m-%d %H:%M:%S")
    author = p.source if rng.random() < 0.5 else p.reporter
    lines = [rng.choice(NAV_TOPS), crumbs, "", p.title, "", f"{p.source} {author} {date}"]
    lines.append(f"[摘要]{p.summary}")
    lines.append("")
    for paragraph in _paragraphs(p.body, "  "):
        lines += [paragraph, ""]
    lines += [f"  (记者  {p.reporter})", "", "", f"来源:{p.source}", "", f"编辑:{p.editor}", ""]
    lines += [f"相关热词搜索:{' '.join(p.keywords)}", ""]
    lines += [f"上一篇:{p.prev_title} 下一篇:{p.next_title}", "", "表达看法", ""]
    lines.append(rng.choice(FOOTERS))
    return "\n".join(lines) + "\n"


def _layout_bracket(rng: random.Random, p: _Parts) -> str:
    """A ``【摘要】`` variant with slash dates and full-width colons in places."""
    crumbs = " > ".join(("首页", *p.topic.breadcrumb[:2], "正文"))
    fmt = "%Y/%m/%d" if rng.random() < 0.5 else "%Y/%m/%d %H:%M"
    date = p.published.strftime(fmt)
    lines = [rng.choice(NAV_TOPS), crumbs, "", p.title, ""]
    lines.append(f"{date}  来源:{p.source}  作者:{p.reporter}")
    lines += ["", f"【摘要】{p.summary}", ""]
    for paragraph in _paragraphs(p.body, "　　"):
        lines += [paragraph, ""]
    lines += [f"（记者 {p.reporter} 通讯员 {person_name(rng)}）", ""]
    lines += [f"编辑:{p.editor}", ""]
    if p.keywords:
        lines += [f"相关热词搜索:{' '.join(p.keywords)}", ""]
    lines += [f"上一篇:{p.prev_title}", f"下一篇:{p.next_title}", ""]
    lines.append(rng.choice(FOOTERS))
    return "\n".join(lines) + "\n"


def _layout_editor(rng: random.Random, p: _Parts) -> str:
    """A ``来源：`` / ``责任编辑：`` variant with ``2019年11月25日 16:04`` dates."""
    crumbs = " | ".join(("网站首页", "新闻中心", p.topic.section, "正文"))
    when = p.published
    if rng.random() < 0.5:
        date = when.strftime("%Y年%m月%d日 %H:%M")
    else:  # unpadded month and day, as many sites print them
        date = f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"
    lines = [crumbs, "", p.title, "", f"{date}　来源：{p.source}　作者：{p.reporter}"]
    lines += ["字号：大 中 小　打印本页　关闭窗口", ""]
    if rng.random() < 0.4:
        lines += [f"摘要：{p.summary}", ""]
    for paragraph in _paragraphs(p.body, "　　"):
        lines += [paragraph, ""]
    lines += [f"（本报记者 {p.reporter}）", "", f"责任编辑：{p.editor}", ""]
    if p.keywords:
        lines += [f"关键词：{'，'.join(p.keywords)}", ""]
    lines += [f"上一篇：{p.prev_title}", f"下一篇：{p.next_title}", ""]
    lines.append(rng.choice(FOOTERS))
    return "\n".join(lines) + "\n"


_LAYOUTS = (_layout_classic, _layout_classic, _layout_bracket, _layout_editor)


def make_page(rng: random.Random, index: int) -> str:
    """Return the text of one synthetic news page; ``index`` makes it unique."""
    parts = _parts(rng, index)
    return rng.choice(_LAYOUTS)(rng, parts)


def page_rng(seed: int, index: int) -> random.Random:
    """The random generator that page ``index`` of store ``seed`` is drawn from."""
    return random.Random(seed * 1_000_003 + index)


def write_page(path: Path, text: str, *, gb18030: bool = False, crlf: bool = False) -> None:
    """Write one page, optionally in GB18030 and/or with CRLF line ends."""
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes(text.encode("gb18030" if gb18030 else "utf-8"))


def generate_store(
    out_dir: Path, count: int, seed: int = 0, *, encoding_mix: bool = False
) -> list[Path]:
    """Write ``count`` pages into ``out_dir`` (created if needed); return their paths.

    With ``encoding_mix`` about 10 % of the pages are GB18030 and about 5 % use
    CRLF line ends. Output depends only on ``(count, seed, encoding_mix)``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for index in range(count):
        rng = page_rng(seed, index)
        text = make_page(rng, index)
        name = f"{index:05d}_{rng.getrandbits(64):016x}.txt"
        gb18030 = crlf = False
        if encoding_mix:
            gb18030 = rng.random() < 0.10
            crlf = rng.random() < 0.05
        path = out_dir / name
        write_page(path, text, gb18030=gb18030, crlf=crlf)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="directory to write the .txt pages into")
    parser.add_argument("--count", type=int, default=100, help="number of pages (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--encoding-mix",
        action="store_true",
        help="write ~10%% of pages as GB18030 and ~5%% with CRLF line ends",
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    started = time.perf_counter()
    paths = generate_store(args.out_dir, args.count, args.seed, encoding_mix=args.encoding_mix)
    elapsed = time.perf_counter() - started
    print(f"wrote {len(paths)} pages to {args.out_dir} in {elapsed:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

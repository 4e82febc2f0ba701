"""Which columns of an inferred schema hold personal information: headers and values together.

Values that validate (an ID number's check digit, a mobile number, a plate) decide first,
whatever the header. Otherwise the header does, read as government files write them: a person
word (监护人, 联系人, 户主, 申请人 …) with 电话 is a phone, with 住址 an address, alone or with
姓名 a name; an attribute of a personal thing (号牌种类, 证件类型, 与户主关系, 人数) and the
name, phone or address of an organisation or a place (小区名称, 旅馆名称, 单位地址, 办公电话)
are not personal. Where the values plainly contradict a header's kind (a 户主 column of 是/否,
a 号牌 column of 小型汽车, a 居住地 column of 本地/外地), the column is not personal either.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from shequ.core import pii
from shequ.hub.ingest.cells import EMPTY_MARKS

VALUE_CHECKS: dict[str, Callable[[str], str]] = {
    "id_card": pii.validate_id_number,
    "phone": pii.validate_phone,
    "plate": pii.normalize_plate,
}
# The constraints catalog schemas give these kinds; an inferred schema gives them too (the
# phone pattern without the catalog's optional dash: the same numbers pass, and a landline is
# stored as cleaned, 057187001234). ID numbers need none: ingestion checks every id_card value
# by GB 11643 (and the 15-digit form issued before 1999), with a more precise reason.
PATTERNS = {
    "phone": r"^(1\d{10}|0\d{2,3}\d{7,8})$",
    "plate": r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z]"
    r"[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$",
}
GRADE_OF_PII = {"id_card": "core", "health": "core", "face": "core"}

ID_WORDS = (
    "身份证",
    "公民身份号码",
    "身份号码",
    "证件号",
    "残疾人证号",
    "社会保障卡号",
    "社保卡号",
)
HEALTH_WORDS = (
    "健康码", "健康状况", "核酸", "病史", "疫苗", "诊断", "病情", "疾病", "病种", "残疾",
    "血压", "血糖", "体质指数", "体检结论", "就诊", "慢性病", "传染病",
)  # fmt: skip
# An attribute of a personal thing is not the thing: 号牌种类, 证件类型, 与户主关系, 是否户主.
ATTRIBUTE_WORDS = (
    "种类", "类型", "类别", "性质", "状态", "颜色", "数量", "人数", "户数", "个数", "次数",
    "是否", "有无", "关系", "等级", "级别", "来源", "标识", "情况",
)  # fmt: skip
PLATE_WORDS = ("车牌", "号牌")
FACE_WORDS = ("人脸", "照片", "头像", "相片", "肖像", "抓拍图片")
PHONE_WORDS = ("手机", "电话", "联系方式", "联系号码")
ADDRESS_WORDS = ("地址", "住址", "居住地", "户籍地", "现住", "住所", "暂住地", "坐落", "家庭住")
BIRTH_WORDS = ("出生日期", "出生年月", "出生时间", "生日")
NAME_WORDS = ("姓名", "名字")
PERSON_WORDS = (
    "户主", "监护人", "联系人", "申请人", "当事人", "负责人", "责任人", "法定代表人", "法人代表",
    "车主", "业主", "房东", "出租人", "承租人", "租户", "驾驶人", "驾驶员", "报警人", "投诉人",
    "经办人", "网格员", "志愿者", "人员", "调解员", "医生", "所有人", "权利人", "持有人",
    "受种者", "家属", "亲属", "配偶", "母亲", "父亲", "子女", "走访人", "登记人", "填报人",
    "审核人", "联络员", "楼长", "居民", "老人", "新生儿", "服务对象", "预警对象", "救助对象",
    "帮扶对象", "走访对象", "矫正对象",
)  # fmt: skip
# The name, phone or address of an organisation or a place is not personal information.
ORG_WORDS = (
    "单位", "企业", "公司", "机构", "组织", "商户", "店铺", "门店", "旅馆", "宾馆", "酒店",
    "小区", "楼盘", "项目", "场所", "学校", "医院", "部门", "办公", "值班", "经营", "注册",
    "物业", "停车场", "公厕", "点位", "工程", "建设", "设置", "服务电话", "网点",
)  # fmt: skip
CODE_WORDS = ("编号", "代码", "编码", "序号", "证号", "名称")
_COUNT = re.compile(r"数(?:[（(].*[）)])?$")  # 户数, 床位数, 家庭医生数: counts
# Cells that say nothing about a column: empty marks and "unknown".
PLACEHOLDERS = frozenset((*EMPTY_MARKS, "不详", "未知", "暂无", "空", "null", "none", "n/a", "na"))
_TOKENS = re.compile(r"[a-z]+")
_CJK = r"\u3400-\u9fff"
_PERSON_NAME = re.compile(
    f"[{_CJK}]{{2,4}}|[{_CJK}]{{1,6}}[·•][{_CJK}]{{1,8}}|[A-Za-z .'-]{{2,40}}"
)
_ADDRESS_CHARS = re.compile(r"[省市区县镇乡街道路巷弄村组号栋幢楼单元室苑园里0-9]")


def suggest_pii(header: str, samples: list[str]) -> str:
    """The PII kind of a column from its header and up to 200 of its non-empty values."""
    values = [s for s in samples if s and s.strip().lower() not in PLACEHOLDERS][:200]
    for checked, check in VALUE_CHECKS.items():
        if values and _mostly_valid(check, values, 0.8):
            return checked
    kind, explicit = header_kind(header)
    if kind and values and not explicit and not _values_agree(kind, values):
        return "none"
    return kind or "none"


def header_kind(header: str) -> tuple[str | None, bool]:
    """(the PII kind a header names or None, whether it names it outright: 姓名, 身份证号).

    A kind only implied (a person word: 监护人, 户主) is checked against the values.
    """
    h = re.sub(r"\s+", "", header).lower()
    person = any(w in h for w in PERSON_WORDS)
    org = any(w in h for w in ORG_WORDS) and not person
    attribute = any(w in h for w in ATTRIBUTE_WORDS) or bool(_COUNT.search(h))
    if any(w in h for w in ID_WORDS) and not attribute:
        return "id_card", True
    if any(w in h for w in HEALTH_WORDS):
        return "health", True
    if attribute:
        return None, False
    if any(w in h for w in PLATE_WORDS):
        return "plate", False
    if any(w in h for w in FACE_WORDS):
        return "face", True
    if any(w in h for w in PHONE_WORDS):
        return (None, False) if org else ("phone", True)
    if any(w in h for w in ADDRESS_WORDS):
        return (None, False) if org else ("address", False)
    if any(w in h for w in BIRTH_WORDS):
        return "birth_date", True
    if any(w in h for w in NAME_WORDS):
        return "name", True
    if org or any(w in h for w in CODE_WORDS):
        return None, False
    if person:
        return "name", False
    return _english_kind(h)


def _english_kind(h: str) -> tuple[str | None, bool]:
    tokens = set(_TOKENS.findall(h))
    if {"idcard", "idno"} & tokens or ("id" in tokens and {"card", "number", "no"} & tokens):
        return "id_card", True
    if {"phone", "mobile", "tel", "telephone"} & tokens:
        return "phone", True
    if "plate" in tokens:
        return "plate", False
    if {"address", "addr"} & tokens:
        return "address", False
    if {"face", "photo"} & tokens:
        return "face", True
    if "health" in tokens:
        return "health", True
    if {"birth", "birthday", "dob"} & tokens:
        return "birth_date", True
    things = {"hotel", "company", "estate", "shop", "org", "project", "place", "street", "file"}
    if ("name" in tokens or "fullname" in tokens) and not things & tokens:
        return "name", True
    return None, False


def _values_agree(kind: str, values: list[str]) -> bool:
    """Whether at least half of the values could be of *kind* (a loose test of their shape)."""
    shapes: dict[str, Callable[[str], bool]] = {
        "name": lambda v: bool(_PERSON_NAME.fullmatch(v.strip())),
        "address": lambda v: len(v.strip()) >= 6 and bool(_ADDRESS_CHARS.search(v)),
        "plate": lambda v: pii.is_plate(v) or v.strip()[:1] in pii.PLATE_PROVINCES,
    }
    shape = shapes.get(kind)
    return shape is None or sum(map(shape, values)) >= 0.5 * len(values)


def _mostly_valid(check: Callable[[str], str], values: list[str], share: float) -> bool:
    """Whether at least *share* of *values* pass *check*; stops at the failure that
    settles it (a column of numbers fails a phone check in a few values, not in 200)."""
    allowed = len(values) - math.ceil(share * len(values))
    failures = 0
    for v in values:
        if not _valid(check, v):
            failures += 1
            if failures > allowed:
                return False
    return True


def _valid(check: Callable[[str], str], value: str) -> bool:
    try:
        check(value)
    except ValidationError:
        return False
    return True

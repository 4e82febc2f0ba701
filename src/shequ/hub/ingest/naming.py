"""Readable ASCII field names for the column headers of an inferred schema.

Analysts type field names in SQL: ``col_7`` says nothing, ``"现住址"`` needs an input method.
A header is named, in this order, by the dictionary of common government column names below
(the catalog's own names where it has one), by the longest dictionary words it is made of
(监护人联系电话 → guardian_phone), and by pinyin (pypinyin) for what is left (走访次数 →
zoufang_count). Names are lower-case, unique, valid SQL identifiers and never a keyword that
would have to be quoted; the header itself stays the field's title, usable in SQL as a quoted
identifier.
"""

from __future__ import annotations

import re

# Whole headers as government files write them.
HEADERS: dict[str, str] = {
    "姓名": "name",
    "名字": "name",
    "性别": "gender",
    "年龄": "age",
    "民族": "ethnicity",
    "籍贯": "native_place",
    "出生日期": "birth_date",
    "出生年月": "birth_date",
    "公民身份号码": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "身份证": "id_number",
    "证件号码": "id_number",
    "证件号": "id_number",
    "证件类型": "id_type",
    "联系电话": "phone",
    "电话": "phone",
    "电话号码": "phone",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "移动电话": "phone",
    "联系方式": "contact",
    "地址": "address",
    "住址": "address",
    "现住址": "address",
    "家庭住址": "home_address",
    "居住地址": "residence_address",
    "现居住地址": "residence_address",
    "居住地": "residence",
    "户籍地址": "registered_address",
    "户籍地": "registered_place",
    "户籍所在地": "registered_place",
    "号牌号码": "plate",
    "车牌号": "plate",
    "车牌号码": "plate",
    "车牌": "plate",
    "号牌种类": "plate_type",
    "号牌颜色": "plate_color",
    "车辆类型": "vehicle_type",
    "车身颜色": "color",
    "区划代码": "region_code",
    "行政区划代码": "region_code",
    "所属社区区划代码": "region_code",
    "所属社区（村）区划代码": "region_code",
    "统一社会信用代码": "credit_code",
    "所属社区": "community",
    "社区": "community",
    "所属街道": "street",
    "街道": "street",
    "所属网格": "grid",
    "网格": "grid",
    "小区名称": "estate_name",
    "小区编码": "estate_code",
    "小区": "estate",
    "楼幢号": "building",
    "楼栋号": "building",
    "单元号": "unit",
    "室号": "room",
    "门牌号": "house_number",
    "门牌号码": "house_number",
    "房屋编号": "house_id",
    "户号": "household_id",
    "户主姓名": "householder_name",
    "与户主关系": "relation_to_head",
    "文化程度": "education",
    "学历": "education",
    "婚姻状况": "marital_status",
    "政治面貌": "political_status",
    "工作单位": "employer",
    "职业": "occupation",
    "人员类别": "person_category",
    "序号": "seq",
    "编号": "code",
    "备注": "remark",
    "说明": "note",
    "时间": "event_time",
    "日期": "date",
    "登记日期": "registered_on",
    "登记时间": "registered_at",
    "经度": "longitude",
    "纬度": "latitude",
    "单位名称": "org_name",
    "企业名称": "enterprise_name",
    "旅馆名称": "hotel_name",
    "场所名称": "place_name",
    "法定代表人": "legal_representative",
    "通行记录编号": "event_id",
    "通行时间": "event_time",
    "通行方向": "direction",
    "过车时间": "event_time",
    "抓拍时间": "event_time",
    "门禁设备编号": "gate_id",
    "设备编号": "device_id",
    "健康码状态": "health_status",
    "建筑面积": "floor_area_m2",
    "面积": "area",
    "金额": "amount",
    "数量": "quantity",
    "状态": "status",
    "类型": "type",
    "紧急联系人": "emergency_contact",
    "紧急联系人电话": "emergency_contact_phone",
}

# Words headers are made of, for headers the dictionary does not hold whole.
WORDS: dict[str, str] = {
    "户主": "householder",
    "监护人": "guardian",
    "被监护人": "ward",
    "联系人": "contact",
    "申请人": "applicant",
    "当事人": "party",
    "负责人": "leader",
    "责任人": "responsible",
    "车主": "owner",
    "业主": "owner",
    "房东": "landlord",
    "出租人": "landlord",
    "承租人": "tenant",
    "租户": "tenant",
    "驾驶人": "driver",
    "驾驶员": "driver",
    "报警人": "caller",
    "投诉人": "complainant",
    "经办人": "handler",
    "网格员": "grid_worker",
    "志愿者": "volunteer",
    "居民": "resident",
    "老人": "elder",
    "母亲": "mother",
    "父亲": "father",
    "配偶": "spouse",
    "人员": "person",
    "医生": "doctor",
    "服务对象": "beneficiary",
    "记录": "record",
    "设备": "device",
    "车辆": "vehicle",
    "房屋": "house",
    "企业": "enterprise",
    "单位": "org",
    "旅馆": "hotel",
    "宾馆": "hotel",
    "酒店": "hotel",
    "商户": "shop",
    "项目": "project",
    "案件": "case",
    "事件": "event",
    "活动": "activity",
    "走访": "visit",
    "服务": "service",
    "检查": "inspection",
    "登记": "registration",
    "开始": "start",
    "结束": "end",
    "名称": "name",
    "编号": "id",
    "编码": "code",
    "代码": "code",
    "号码": "number",
    "类别": "category",
    "等级": "level",
    "次数": "count",
    "人数": "people",
    "户数": "households",
    "时长": "duration",
    "原因": "reason",
    "结果": "result",
    "内容": "content",
    "日期": "date",
    "时间": "time",
    "月份": "month",
    "年份": "year",
    "分钟": "minutes",
    "小时": "hours",
    "元": "yuan",
    "是否": "is",
    "出租": "rental",
    "在册": "registered",
    "评分": "score",
    "得分": "score",
    "现": "current",
    "标准地址": "std_address",
    "图片": "image",
    "照片": "photo",
}

# Keywords DuckDB (and standard SQL) reserve or use as type and function names: a field named
# so would have to be quoted in every query. Unreserved keywords (name, type, year) are fine.
_KEYWORDS = """
    all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
    boolean both case cast char character check coalesce collate collation column concurrently
    constraint create cross current_catalog current_date current_role current_schema
    current_time current_timestamp current_user dec decimal default deferrable desc describe
    distinct do else end except exists extract false fetch float for foreign freeze from full
    generated glob greatest group grouping grouping_id having ilike in initially inner inout int
    integer intersect interval into is isnull join lambda lateral leading least left like limit
    localtime localtimestamp map natural nchar none normalize not notnull null nullif numeric
    offset on only or order out outer overlaps overlay pivot pivot_longer pivot_wider placing
    position positional precision primary qualify real references returning right row select
    semi session_user setof show similar smallint some struct substring summarize symmetric
    table tablesample then time timestamp to trailing treat trim true try_cast union unique
    unpivot user using values varchar variadic verbose when where window with xmlattributes
    xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize
    xmltable anti asof at by columns national tuple unpack
"""
SQL_KEYWORDS = frozenset(_KEYWORDS.split())
MAX_NAME = 60  # NAME_RE allows 63 characters; room for a _N suffix
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LONGEST = max(len(w) for w in (*HEADERS, *WORDS))


def field_name(header: str, index: int, taken: set[str]) -> str:
    """A lower-snake ASCII name for *header* (the *index*-th column), not yet in *taken*.

    The name is added to *taken*.
    """
    base = _base_name(header) or f"col_{index + 1}"
    if not base[0].isalpha():
        base = f"col_{base}"
    base = base[:MAX_NAME].rstrip("_")
    if base in SQL_KEYWORDS:
        base = f"{base}_value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[: MAX_NAME - 4]}_{n}", n + 1
    taken.add(name)
    return name


def _base_name(header: str) -> str:
    text = header.strip()
    if text in HEADERS:
        return HEADERS[text]
    # Units and asides in brackets (面积（平方米）, 联系电话(手机)) do not name the column.
    bare = _BRACKETS.sub("", text).strip() or text
    if bare in HEADERS:
        return HEADERS[bare]
    parts: list[str] = []
    run: list[str] = []  # Chinese characters no dictionary word covers, read as pinyin

    def flush() -> None:
        if run:
            parts.append(_pinyin("".join(run)))
            run.clear()

    i = 0
    while i < len(bare):
        word = next(
            (
                bare[i : i + n]
                for n in range(min(_LONGEST, len(bare) - i), 0, -1)
                if bare[i : i + n] in HEADERS or bare[i : i + n] in WORDS
            ),
            None,
        )
        if word is not None and (len(word) > 1 or not run):
            flush()
            parts.append(WORDS.get(word) or HEADERS[word])
            i += len(word)
        elif _CJK.match(bare[i]):
            run.append(bare[i])
            i += 1
        else:
            flush()
            match = re.match(r"[A-Za-z0-9]+", bare[i:])
            if match:
                parts.append(match[0].lower())
                i += len(match[0])
            else:
                i += 1
    flush()
    return re.sub(r"_+", "_", "_".join(p for p in parts if p)).strip("_")


def _pinyin(text: str) -> str:
    # Imported here: its dictionaries take a moment to load, and only Chinese headers need it.
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(text, errors="ignore")  # text is Chinese characters only
    return re.sub(r"[^a-z0-9_]", "", "".join(syllables).lower())

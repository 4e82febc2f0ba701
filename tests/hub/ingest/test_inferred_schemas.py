"""Inferred schemas (`--create`, publishing a community dataset), issue 15.

Files like those a street office receives: a register under its official column names
(公民身份号码 …) with wrong check digits and short phones, Chinese headers analysts must type in
SQL, columns that are personal by their header and values together (or are not: 号牌种类,
小区名称), a header without rows, and a gate export delivered again in part.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hub.factories import quarantine
from shequ.cli import main
from shequ.core import pii
from shequ.hub.inference import infer
from shequ.hub.ingest.naming import HEADERS, SQL_KEYWORDS, field_name
from shequ.hub.ingest.personal import suggest_pii
from shequ.hub.ingest.readers import open_input
from shequ.hub.models import Category, Dataset, IngestRun
from shequ.hub.services.catalog import read_catalog
from shequ.hub.storage import open_table
from shequ.hub.tableschema import NAME_RE, TableSchema


def hub(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, Any, str]:
    code = main(["hub", *map(str, args)])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def write(path: Path, lines: list[list[Any]]) -> Path:
    path.write_text("\n".join(",".join(map(str, r)) for r in lines) + "\n", encoding="utf-8")
    return path


def rows_of(key: str) -> list[dict[str, Any]]:
    table = open_table(key)
    assert table is not None
    return list(table.to_pyarrow_table().to_pylist())


def id_number(i: int) -> str:
    return pii.make_id_number("330106", date(1950 + i % 50, 1 + i % 12, 1 + i % 28), i % 1000)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] == "0" else "0")


# --- 1. validation ---------------------------------------------------------------------------

REGISTER = [
    "序号",
    "姓名",
    "公民身份号码",
    "联系电话",
    "号牌号码",
    "号牌种类",
    "现住址",
    "所属社区",
]


def register_rows(n: int) -> list[list[Any]]:
    return [
        [
            i + 1,
            f"王{'伟芳敏静丽'[i % 5]}",
            id_number(i),
            f"1390000{i:04d}",
            f"浙A{i:05d}",
            "小型汽车",
            f"杭州市上城区望江路{i}号",
            "锦绣社区",
        ]
        for i in range(n)
    ]


def test_create_quarantines_wrong_id_numbers_short_phones_and_bad_plates_with_masked_reasons(
    category: Category, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = register_rows(200)
    rows[10][2] = wrong_check_digit(rows[10][2])
    rows[20][2] = wrong_check_digit(rows[20][2])
    rows[30][3] = "1390000"  # a phone cut short
    rows[40][3] = "139000012345"  # a digit too many
    rows[50][4] = "浙A1234"  # a plate a character short
    rows[60][2] = "330106850712001"  # the 15-digit form before 1999: valid as it is
    rows[70][3] = "0571-87001234"  # a landline with its area code: valid
    path = write(tmp_path / "人员登记.csv", [REGISTER, *rows])

    code, result, _ = hub(
        capsys, "ingest", path, "--dataset=register", "--create", "--category=test", "--json"
    )

    assert code == 0, result
    assert (result["rows_written"], result["rows_rejected"]) == (195, 5)
    q = {(r["row"], r["column"]): r["reason"] for r in quarantine(IngestRun.objects.get())}
    assert sorted(q) == [
        ("11", "id_number"),
        ("21", "id_number"),
        ("31", "phone"),
        ("41", "phone"),
        ("51", "plate"),
    ]
    assert "wrong check digit (GB 11643)" in q[("11", "id_number")]
    assert "does not match the pattern" in q[("31", "phone")]
    for (row, column), reason in q.items():
        clear = rows[int(row) - 1][REGISTER.index(TITLES[column])]
        assert clear not in reason and clear[2:-2] not in reason  # masked
    stored = {r["seq"]: r for r in rows_of("register")}
    assert stored[61]["id_number"] == "330106850712001"
    assert stored[71]["phone"] == "057187001234"
    assert 11 not in stored and 31 not in stored
    for r in stored.values():
        if len(r["id_number"]) == 18:
            assert pii.validate_id_number(r["id_number"]) == r["id_number"]


TITLES = {"id_number": "公民身份号码", "phone": "联系电话", "plate": "号牌号码"}


# --- 2. names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    sorted(
        {
            "公民身份号码": "id_number",
            "姓名": "name",
            "联系电话": "phone",
            "号牌号码": "plate",
            "现住址": "address",
            "所属社区": "community",
            "区划代码": "region_code",
            "所属社区（村）区划代码": "region_code",
            "性别": "gender",
            "出生日期": "birth_date",
            "与户主关系": "relation_to_head",
            "监护人联系电话": "guardian_phone",
            "监护人姓名": "guardian_name",
            "户主身份证号码": "householder_id_number",
            "通行记录编号": "event_id",
            "走访次数": "visit_count",
            "面积（平方米）": "area",
            "缴费金额": "jiaofei_amount",  # pinyin where the dictionary has no word
            "巡查频次": "xunchapinci",
            "Phone Number": "phone_number",
            "Order": "order_value",  # a reserved word is never a name
            "60周岁以上人口数": "col_60_zhousuiyishangrenkoushu",
        }.items()
    ),
)
def test_chinese_headers_get_readable_ascii_names(header: str, name: str) -> None:
    assert field_name(header, 0, set()) == name


def test_the_dictionary_holds_the_common_government_column_names() -> None:
    assert len(HEADERS) >= 80
    assert all(NAME_RE.match(n) and n not in SQL_KEYWORDS for n in HEADERS.values())


def test_names_are_never_a_keyword_duckdb_would_need_quoted() -> None:
    with duckdb.connect() as con:
        rows = con.execute("SELECT keyword_name, keyword_category FROM duckdb_keywords()")
        reserved = {k for k, category in rows.fetchall() if category != "unreserved"}
    assert reserved <= SQL_KEYWORDS
    for word in sorted(reserved):
        name = field_name(word, 0, set())
        assert name not in reserved and NAME_RE.match(name), word


def test_every_catalog_title_gets_a_valid_unique_name_within_its_dataset() -> None:
    for category in read_catalog():
        for item in category["datasets"]:
            taken: set[str] = set()
            titles = [f["title"] for f in item["schema"]["fields"]]
            names = [field_name(t, i, taken) for i, t in enumerate(titles)]
            assert len(set(names)) == len(names), item["key"]
            for title, name in zip(titles, names, strict=True):
                assert NAME_RE.match(name) and name not in SQL_KEYWORDS, (title, name)
                assert not name.startswith("col_") or title[0].isdigit(), (title, name)


def test_the_chinese_title_of_an_inferred_field_is_a_quoted_identifier_in_sql(
    category: Category, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shequ.hub.query.engine import run_query_system

    path = write(tmp_path / "r.csv", [REGISTER, *register_rows(10)])
    code, result, _ = hub(
        capsys, "ingest", path, "--dataset=register", "--create", "--category=test", "--json"
    )
    assert code == 0, result

    by_title = run_query_system(
        'SELECT "公民身份号码", "现住址" FROM register WHERE "所属社区" = \'锦绣社区\' '
        'ORDER BY "序号"'
    )
    by_name = run_query_system(
        "SELECT id_number, address FROM register WHERE community = '锦绣社区' ORDER BY seq"
    )

    assert by_title.rows == by_name.rows == 10
    assert by_title.columns == ["公民身份号码", "现住址"]
    assert by_title.table.to_pydict().values() and (
        list(by_title.table.to_pydict().values()) == list(by_name.table.to_pydict().values())
    )
    assert by_title.table.column(0)[0].as_py() == "330106************"  # masked either way


# --- 3. personal data from headers and values ------------------------------------------------

IDS = [id_number(i) for i in range(10)]
PHONES = [f"1390000{i:04d}" for i in range(10)]
PLATES = [f"浙A{i:05d}" for i in range(10)]
NAMES = ["王伟", "李芳", "张秀英", "欧阳小明", "陈静", "买买提·艾力"]
ADDRESSES = ["杭州市上城区望江路12号", "锦绣花园3幢2单元201室", "望湖街道和园社区5组18号"]
URLS = ["https://cams.example/snap/0001.jpg", "https://cams.example/snap/0002.jpg"]

KINDS: list[tuple[str, str, list[str], str | None]] = [
    # (test id, header, sample values, expected kind; None: not personal)
    ("公民身份号码", "公民身份号码", IDS, "id_card"),
    ("身份证号-empty", "身份证号", [], "id_card"),
    ("监护人身份证号码", "监护人身份证号码", IDS, "id_card"),
    ("证件号码", "证件号码", IDS, "id_card"),
    ("残疾人证号", "残疾人证号", IDS, "id_card"),
    ("流水号-ids", "流水号", IDS, "id_card"),  # valid ID numbers whatever the header
    ("联系电话", "联系电话", PHONES, "phone"),
    ("手机号码", "手机号码", PHONES, "phone"),
    ("紧急联系人电话", "紧急联系人电话", PHONES, "phone"),
    ("监护人联系方式", "监护人联系方式", PHONES, "phone"),
    ("车主联系电话", "车主联系电话", PHONES, "phone"),
    ("联系电话-landlines", "联系电话", ["0571-87001234", "87001235"], "phone"),
    ("Mobile", "Mobile", [], "phone"),
    ("办公电话", "办公电话", ["0571-87001234"], None),
    ("服务电话", "服务电话", ["96345"], None),
    ("单位电话", "单位电话", ["0571-87001234"], None),
    ("值班电话", "值班电话", ["0571-87001234"], None),
    ("号牌号码", "号牌号码", PLATES, "plate"),
    ("车牌号", "车牌号", ["浙a·88302", "沪B12345"], "plate"),
    ("号牌种类", "号牌种类", ["小型汽车", "大型汽车", "小型汽车"], None),
    ("号牌颜色", "号牌颜色", ["蓝", "黄", "绿"], None),
    ("号牌-kinds", "号牌", ["小型汽车", "小型汽车"], None),
    ("车辆类型", "车辆类型", ["小型轿车"], None),
    ("姓名", "姓名", NAMES, "name"),
    ("户主姓名", "户主姓名", NAMES, "name"),
    ("户主", "户主", NAMES, "name"),
    ("户主-yes-no", "户主", ["是", "否", "是"], None),
    ("监护人", "监护人", NAMES, "name"),
    ("联系人", "联系人", NAMES, "name"),
    ("紧急联系人", "紧急联系人", NAMES, "name"),
    ("申请人", "申请人", NAMES, "name"),
    ("走访人员", "走访人员", NAMES, "name"),
    ("网格员", "网格员", NAMES, "name"),
    ("法定代表人", "法定代表人", NAMES, "name"),
    ("负责人", "负责人", NAMES, "name"),
    ("防汛责任人", "防汛责任人", NAMES, "name"),
    ("机动车所有人", "机动车所有人", NAMES, "name"),
    ("当事人姓名（名称）", "当事人姓名（名称）", NAMES, "name"),
    ("调解员", "调解员", NAMES, "name"),
    ("签约医生", "签约医生", NAMES, "name"),
    ("服务对象姓名", "服务对象姓名", NAMES, "name"),
    ("contact_name", "contact_name", ["Alice Smith"], "name"),
    ("是否户主", "是否户主", ["是", "否"], None),
    ("与户主关系", "与户主关系", ["本人", "配偶", "子女"], None),
    ("人员类别", "人员类别", ["户籍人口", "流动人口"], None),
    ("人员编号", "人员编号", ["P0001", "P0002"], None),
    ("小区名称", "小区名称", ["锦绣花园", "望湖苑"], None),
    ("旅馆名称", "旅馆名称", ["如家酒店望湖店", "锦江之星"], None),
    ("hotel_name", "hotel_name", ["Hilton"], None),
    ("企业名称", "企业名称", ["杭州望湖科技有限公司"], None),
    ("单位名称", "单位名称", ["望湖街道办事处"], None),
    ("公厕名称", "公厕名称", ["望湖路公厕"], None),
    ("经营者名称", "经营者名称", ["张记面馆"], None),
    ("现住址", "现住址", ADDRESSES, "address"),
    ("居住地址", "居住地址", ADDRESSES, "address"),
    ("户籍地址", "户籍地址", ADDRESSES, "address"),
    ("家庭住址", "家庭住址", ADDRESSES, "address"),
    ("居住地", "居住地", ADDRESSES, "address"),
    ("居住地-local", "居住地", ["本地", "外地", "本地"], None),
    ("户籍地", "户籍地", ADDRESSES, "address"),
    ("监护人住址", "监护人住址", ADDRESSES, "address"),
    ("发案地址", "发案地址", ADDRESSES, "address"),
    ("坐落", "坐落", ADDRESSES, "address"),
    ("小区地址", "小区地址", ADDRESSES, None),
    ("单位地址", "单位地址", ADDRESSES, None),
    ("办公地址", "办公地址", ADDRESSES, None),
    ("住所（经营场所）", "住所（经营场所）", ADDRESSES, None),
    ("企业注册地址", "企业注册地址", ADDRESSES, None),
    ("出生日期", "出生日期", ["1985-07-12"], "birth_date"),
    ("出生年月", "出生年月", ["1985-07"], "birth_date"),
    ("人脸照片", "人脸照片", URLS, "face"),
    ("抓拍图片地址", "抓拍图片地址", URLS, "face"),
    ("健康码状态", "健康码状态", ["绿码", "黄码"], "health"),
    ("残疾类别", "残疾类别", ["肢体", "视力"], "health"),
    ("疫苗名称", "疫苗名称", ["新冠病毒灭活疫苗"], "health"),
    ("管理病种", "管理病种", ["高血压", "糖尿病"], "health"),
    ("性别", "性别", ["男", "女"], None),
    ("民族", "民族", ["汉族", "回族"], None),
    ("年龄", "年龄", ["35", "72"], None),
    ("所属社区", "所属社区", ["锦绣社区"], None),
    ("区划代码", "区划代码", ["990102001001"], None),
    ("备注", "备注", ["无", "独居"], None),
    ("登记日期", "登记日期", ["2026-10-31"], None),
    ("户数", "户数", ["12"], None),
    ("家庭医生数", "家庭医生数", ["3"], None),
    ("证件类型", "证件类型", ["居民身份证", "护照"], None),
]


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [pytest.param(h, v, k, id=i) for i, h, v, k in sorted(KINDS, key=lambda row: row[0])],
)
def test_personal_data_is_decided_from_the_header_and_the_values_together(
    header: str, values: list[str], kind: str | None
) -> None:
    assert suggest_pii(header, values) == (kind or "none")


def test_the_kinds_table_is_large_and_its_ids_unique() -> None:
    ids = [row[0] for row in KINDS]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)


def test_a_birth_date_is_part_of_the_id_numbers_beside_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        [["姓名", "公民身份号码", "出生日期"], ["王伟", id_number(1), "1951-02-02"]],
    )

    schema = infer(open_input(path, workdir=tmp_path / "w")).schema

    born = schema.field("birth_date")
    assert (born.type, born.pii, born.part_of) == ("date", "birth_date", ["id_number"])


# --- 4. no rows ------------------------------------------------------------------------------


def test_a_header_only_file_creates_no_schema(
    category: Category, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "empty.csv", [REGISTER])

    code, result, err = hub(
        capsys, "ingest", path, "--dataset=register", "--create", "--category=test", "--json"
    )

    assert code == 2
    assert "header but no data rows" in result["error"] and "no data rows" in err
    assert not Dataset.objects.filter(key="register").exists()
    assert not IngestRun.objects.exists()


def test_a_header_only_file_publishes_nothing(category: Category, tmp_path: Path) -> None:
    from django.core.exceptions import ValidationError

    from shequ.hub.services.catalog import infer_file_schema

    with pytest.raises(ValidationError) as caught:
        infer_file_schema(write(tmp_path / "empty.csv", [REGISTER]))
    assert "no data rows" in caught.value.message_dict["file"][0]


# --- 5. key proposal -------------------------------------------------------------------------


def gate_records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "通行记录编号": f"E{i:06d}",
            "门禁设备编号": f"G{i % 3}",
            "通行时间": f"2026-10-31 08:{i % 60:02d}:00",
            "通行方向": "进" if i % 2 else "出",
            "序号": i % 50,
        }
        for i in range(n)
    ]


def test_a_record_id_unique_apart_from_re_deliveries_becomes_the_key(
    category: Category, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = gate_records(100)
    delivered = records[:60] + records[20:60] + records[60:]  # 40 records sent twice
    path = tmp_path / "gate.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in delivered) + "\n")

    code, result, _ = hub(
        capsys, "ingest", path, "--dataset=gate", "--create", "--category=test", "--json"
    )

    assert code == 0, result
    assert (result["rows_written"], result["rows_rejected"]) == (100, 0)
    assert (
        "primary key proposed: event_id (通行记录编号), unique in every record; 40 exact "
        "repeat(s) of earlier rows are skipped, not stored twice" in result["notes"]
    )
    assert any(n.startswith("skipped 40 exact repeat(s) of earlier rows") for n in result["notes"])
    schema = TableSchema.from_dict(Dataset.objects.get(key="gate").schema)
    assert schema.primary_key == ["event_id"]
    assert len(rows_of("gate")) == 100


@pytest.mark.parametrize("change", ["same id, another time", "no id"])
def test_no_key_is_proposed_when_the_id_column_does_not_identify_records(
    tmp_path: Path, change: str
) -> None:
    records = gate_records(30)
    if change == "same id, another time":
        records.append({**records[0], "通行时间": "2026-11-01 09:00:00"})
    else:
        records.append({**records[0], "通行记录编号": ""})
    path = tmp_path / "gate.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")

    inferred = infer(open_input(path, workdir=tmp_path / "w"))

    assert inferred.schema.primary_key == [] and inferred.notes == []


# --- wide files ------------------------------------------------------------------------------


def test_a_wide_file_is_typed_in_as_many_queries_as_a_narrow_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One query per column (two, once) took minutes on 2,000 columns; bench/hub_ingest.py
    # measures the time, this counts the queries, which do not depend on the machine.
    import shequ.hub.inference as inference

    connect = duckdb.connect
    calls: list[str] = []

    class Counting:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.con = connect(*args, **kwargs)

        def execute(self, sql: str, *args: Any) -> Any:
            calls.append(sql)
            return self.con.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.con, name)

    class Module:  # inference's duckdb, and nobody else's
        def __getattr__(self, name: str) -> Any:
            return Counting if name == "connect" else getattr(duckdb, name)

    monkeypatch.setattr(inference, "duckdb", Module())
    kinds = ["{i}", "2026-10-{d:02d}", "2026-10-{d:02d} 08:30", "文本{i}"]

    def queries(width: int) -> tuple[int, Any]:
        calls.clear()
        header = [f"指标{c}" for c in range(width)]
        rows = [[kinds[c % 4].format(i=i, d=1 + i % 28) for c in range(width)] for i in range(50)]
        path = write(tmp_path / f"wide{width}.csv", [header, *rows])
        schema = infer(open_input(path, workdir=tmp_path / f"w{width}")).schema
        return len(calls), schema

    narrow, _ = queries(4)
    wide, schema = queries(400)

    assert wide == narrow
    assert [f.type for f in schema.fields[:4]] == ["integer", "date", "datetime", "string"]
    assert len({f.name for f in schema.fields}) == 400


def test_headers_named_like_the_inference_own_columns_are_typed_as_any_other(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "odd.csv", [["_at", "col", "v", "pos"], [1, "2026-01-01", "x", 3]])

    schema = infer(open_input(path, workdir=tmp_path / "w")).schema

    assert [(f.title, f.type) for f in schema.fields] == [
        ("_at", "integer"),
        ("col", "date"),
        ("v", "string"),
        ("pos", "integer"),
    ]


def test_an_identifier_that_only_counts_the_rows_is_not_proposed_as_key(tmp_path: Path) -> None:
    # 编号 1..N in a monthly report numbers this file's rows; next month's file repeats them.
    rows = [[str(i), f"2026-10-{1 + i % 28:02d}", "正常"] for i in range(1, 31)]
    path = write(tmp_path / "report.csv", [["编号", "日期", "状态"], *rows])

    inferred = infer(open_input(path, workdir=tmp_path / "w"))

    assert inferred.schema.primary_key == [] and inferred.notes == []

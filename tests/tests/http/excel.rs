//! Excel in and out (issue 19): workbooks imported like CSV, the annotated
//! error workbook, exports of every list an office works from, programme
//! codes in place of ids, and the `shuzhuan import` client.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader as _, Xlsx};
use reqwest::Method;
use serde_json::{Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends, uscc};

use super::conventions::walk;
use super::projects::{Pilot, YUAN, ok};

both_backends!(
    a_workbook_and_a_gbk_csv_of_the_same_rows_give_the_same_report,
    the_annotated_workbook_marks_the_faults_and_imports_again_as_it_is,
    every_list_exports_every_row_in_both_formats_with_chinese_titles,
    an_exported_enterprise_file_imports_again_unchanged_formulas_neutralised,
    a_programme_is_named_by_its_code_wherever_its_id_is,
    the_client_never_gets_stuck_resumes_without_resending_and_says_so,
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .expect("fixture")
}

/// A response's bytes (a file), status and headers.
pub(crate) struct Download {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

pub(crate) fn download(req: reqwest::blocking::RequestBuilder) -> Download {
    let res = req.send().expect("sent");
    Download {
        status: res.status(),
        headers: res.headers().clone(),
        bytes: res.bytes().expect("body").to_vec(),
    }
}

impl Download {
    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first sheet's rows as text.
    fn sheet(&self) -> Vec<Vec<String>> {
        assert_eq!(
            self.content_type(),
            XLSX,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(self.bytes.clone())).expect("a workbook");
        let first = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&first).expect("a sheet");
        range
            .rows()
            .map(|row| row.iter().map(cell_text).collect())
            .collect()
    }

    /// The CSV's rows (UTF-8 after its BOM, or GB18030).
    pub(crate) fn csv(&self) -> Vec<Vec<String>> {
        let text = if self.content_type().contains("gb18030") {
            let (text, _, bad) = encoding_rs::GB18030.decode(&self.bytes);
            assert!(!bad);
            text.into_owned()
        } else {
            let text = String::from_utf8(self.bytes.clone()).expect("UTF-8");
            text.strip_prefix('\u{feff}')
                .expect("a BOM for Excel")
                .to_owned()
        };
        let mut reader = csv_rows(&text);
        reader.retain(|r| !r.is_empty());
        reader
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(n) => n.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        other => other.to_string(),
    }
}

/// Splits CSV text into rows of cells (quotes honoured).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

fn import(who: &As<'_>, path: &str, query: &str, media: &str, body: Vec<u8>) -> Resp {
    Resp::send(
        who.req(Method::POST, &format!("{path}?{query}"))
            .header("Content-Type", media)
            .body(body),
    )
}

fn city(app: &TestApp) -> (String, As<'_>) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.excel",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    (yinchuan, city)
}

/// The rows, columns and codes of a report's errors, in row order.
fn faults(report: &Value) -> Vec<(u64, String, String)> {
    let mut out: Vec<_> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn a_workbook_and_a_gbk_csv_of_the_same_rows_give_the_same_report(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let query = format!("program_id={yinchuan}&dry_run=true&atomic=false");
    let book = import(
        &city,
        "/enterprises/import",
        &query,
        XLSX,
        fixture("enterprises-yinchuan-quirks.xlsx"),
    );
    let gbk = import(
        &city,
        "/enterprises/import",
        &query,
        "text/csv",
        fixture("enterprises-yinchuan-quirks.gbk.csv"),
    );
    assert_eq!(book.status, StatusCode::OK, "{}", book.body);
    assert_eq!(gbk.status, StatusCode::OK, "{}", gbk.body);
    let expected = vec![
        (
            7,
            "统一社会信用代码".to_owned(),
            "uscc_as_number".to_owned(),
        ),
        (13, "企业规模".to_owned(), "invalid_value".to_owned()),
        (19, "所属区县".to_owned(), "unknown_region".to_owned()),
        (25, "企业名称".to_owned(), "required".to_owned()),
        (
            31,
            "统一社会信用代码".to_owned(),
            "uscc_check_character".to_owned(),
        ),
    ];
    assert_eq!(faults(&book.body), expected, "{}", book.body);
    assert_eq!(faults(&gbk.body), expected, "{}", gbk.body);
    for key in ["received", "created", "failed", "row_numbers", "outcome"] {
        assert_eq!(book.body[key], gbk.body[key], "{key}");
    }
    assert_eq!(
        (book.body["created"].as_u64(), gbk.body["blank"].as_u64()),
        (Some(35), Some(3)),
        "the CSV's three empty rows are blank, not failed"
    );
    // Numbers stored as numbers read as Excel shows them: the staff count
    // and 万元 revenue of the sheet's rows imported for real match.
    let written = import(
        &city,
        "/enterprises/import",
        &format!("program_id={yinchuan}&atomic=false"),
        XLSX,
        fixture("enterprises-yinchuan-quirks.xlsx"),
    );
    assert_eq!(written.body["created"], 35, "{}", written.body);
    // A sheet named, and one the workbook does not have.
    let named = import(
        &city,
        "/enterprises/import",
        &format!("{query}&sheet=企业名单"),
        XLSX,
        fixture("enterprises-yinchuan-quirks.xlsx"),
    );
    assert_eq!(named.body["unchanged"], 35, "{}", named.body);
    let unknown = import(
        &city,
        "/enterprises/import",
        &format!("{query}&sheet=Sheet9"),
        XLSX,
        fixture("enterprises-yinchuan-quirks.xlsx"),
    );
    unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        unknown.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("企业名单")
    );
    // Not a workbook at all: one 400, never a 500.
    import(
        &city,
        "/enterprises/import",
        &query,
        XLSX,
        b"PK not a zip".to_vec(),
    )
    .assert_problem(StatusCode::BAD_REQUEST, "malformed_xlsx");
}

fn the_annotated_workbook_marks_the_faults_and_imports_again_as_it_is(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let annotated = download(
        city.req(
            Method::POST,
            &format!("/enterprises/import?program_id={yinchuan}&report=xlsx"),
        )
        .header("Content-Type", "text/csv")
        .header("Accept-Language", "zh-CN")
        .body(fixture("enterprises-yinchuan-quirks.gbk.csv")),
    );
    assert_eq!(
        annotated.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an atomic import with errors is rejected: the workbook says why"
    );
    let rows = annotated.sheet();
    let header = &rows[0];
    let status = header.iter().position(|t| t == "状态").expect("状态");
    let reason = header
        .iter()
        .position(|t| t == "错误原因")
        .expect("错误原因");
    assert_eq!(
        header[0], "统一社会信用代码",
        "the columns as sent come first"
    );
    assert_eq!(
        rows.len(),
        41,
        "the header and the 40 rows, the blank ones left out"
    );
    // Row 7 of the file is row 7 of the workbook.
    assert_eq!(rows[6][status], "错误");
    assert!(
        rows[6][reason].contains("统一社会信用代码"),
        "{:?}",
        rows[6]
    );
    assert!(
        rows[12][reason].contains("微型、小型或中型"),
        "{:?}",
        rows[12]
    );
    assert_eq!(rows[1][status], "未导入（文件有错误）");
    // Sent again as it is, the status columns are recognised and ignored:
    // the same faults, no unknown column.
    let again = import(
        &city,
        "/enterprises/import",
        &format!("program_id={yinchuan}&dry_run=true&atomic=false"),
        XLSX,
        annotated.bytes.clone(),
    );
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(faults(&again.body).len(), 5, "{}", again.body);
    // A clean file: every row imported, the answer 200.
    let clean = download(
        city.req(
            Method::POST,
            &format!("/enterprises/import?program_id={yinchuan}&report=xlsx&atomic=false"),
        )
        .header("Content-Type", XLSX)
        .body(fixture("enterprises-yinchuan-quirks.xlsx")),
    );
    assert_eq!(clean.status, StatusCode::OK);
    let rows = clean.sheet();
    let status = rows[0]
        .iter()
        .position(|t| t == "status")
        .expect("English titles by default");
    assert_eq!(rows[1][status], "imported");
}

fn every_list_exports_every_row_in_both_formats_with_chinese_titles(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let program = pilot.program.clone();
    let (_, ent) = pilot.enterprise(1);
    pilot.submitted(&ent);
    let (ent_id, _) = pilot.enterprise(2);
    // Money: a pool, a decision approved and paid in two parts.
    let pool = ok(pilot.finance.post(
        &format!("/programs/{program}/budget-pools"),
        json!({"name": "中央专项", "source": "central", "amount_fen": 1_000_000 * YUAN}),
    ));
    let decision = ok(pilot.city.post(
        &format!("/programs/{program}/subsidy-decisions"),
        json!({"pool_id": pool["id"], "payee": "=HYPERLINK(\"http://x\")",
               "quote": {"enterprise_id": ent_id, "level": 3,
                         "line_items": [{"category": "software", "amount_fen": 1_200_000 * YUAN}],
                         "as_of": "2026-11-01"}}),
    ));
    let id = decision["id"].as_str().unwrap();
    ok(pilot.finance.post_if_match(
        &format!("/programs/{program}/subsidy-decisions/{id}/approve"),
        1,
        json!({}),
    ));
    for reference in ["XC-1", "XC-2"] {
        ok(pilot.finance.post(
            &format!("/programs/{program}/disbursements"),
            json!({"decision_id": id, "amount_fen": 123_456, "paid_on": "2026-11-15",
                   "reference": reference}),
        ));
    }
    let admin = app.admin();
    let lists = [
        ("/enterprises", "统一社会信用代码"),
        ("/providers", "统一社会信用代码"),
        (
            &format!("/programs/{program}/provider-pool") as &str,
            "服务商ID",
        ),
        (&format!("/programs/{program}/product-library"), "产品ID"),
        (&format!("/programs/{program}/projects"), "项目ID"),
        (&format!("/programs/{program}/subsidy-decisions"), "决定ID"),
        (&format!("/programs/{program}/disbursements"), "拨付ID"),
        (&format!("/programs/{program}/subsidy-ledger"), "企业ID"),
        ("/audit-log", "序号"),
    ];
    for (path, first_title) in lists {
        let expected = walk(&admin, path).len();
        let sep = if path.contains('?') { '&' } else { '?' };
        let book = download(admin.req(Method::GET, &format!("{path}{sep}format=xlsx")));
        assert_eq!(book.status, StatusCode::OK, "{path}");
        let rows = book.sheet();
        assert_eq!(rows[0][0], first_title, "{path}: Chinese titles by default");
        assert_eq!(rows.len() - 1, expected, "{path}: every row, not a page");
        let csv = download(admin.req(Method::GET, path).header("Accept", "text/csv"));
        assert!(csv.content_type().starts_with("text/csv"), "{path}");
        let lines = csv.csv();
        assert_eq!(lines.len() - 1, expected, "{path}");
        assert_eq!(lines[0][0], first_title);
        let disposition = csv.headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment"), "{disposition}");
    }
    // Money in 元 with two decimals; the payee that would be a formula is
    // neutralised (an apostrophe in CSV, a text cell in the workbook).
    let paid = download(admin.req(
        Method::GET,
        &format!("/programs/{program}/disbursements?format=csv"),
    ))
    .csv();
    let amount = paid[0].iter().position(|t| t == "金额（元）").unwrap();
    let payee = paid[0].iter().position(|t| t == "收款方").unwrap();
    assert_eq!(paid[1][amount], "1234.56");
    assert_eq!(paid[1][payee], "'=HYPERLINK(\"http://x\")");
    let book = download(admin.req(
        Method::GET,
        &format!("/programs/{program}/disbursements?format=xlsx"),
    ))
    .sheet();
    assert_eq!(book[1][amount], "1234.56");
    assert_eq!(
        book[1][payee], "=HYPERLINK(\"http://x\")",
        "a text cell, never a formula"
    );
    // The ledger: approved and paid per enterprise, in 元.
    let ledger = download(admin.req(
        Method::GET,
        &format!("/programs/{program}/subsidy-ledger?format=csv"),
    ))
    .csv();
    assert_eq!(ledger.len(), 2, "{ledger:?}");
    assert_eq!(
        (ledger[1][0].as_str(), ledger[1][2].as_str()),
        (ent_id.as_str(), "2469.12")
    );
    // GB18030 on request; English titles on request.
    let gbk = download(
        admin
            .req(
                Method::GET,
                &format!("/programs/{program}/subsidy-decisions"),
            )
            .header("Accept", "text/csv; charset=gb18030"),
    );
    assert_eq!(gbk.content_type(), "text/csv; charset=gb18030");
    assert_eq!(gbk.csv()[0][4], "核定金额（元）");
    let en = download(
        admin
            .req(Method::GET, "/audit-log?format=csv")
            .header("Accept-Language", "en"),
    );
    assert_eq!(en.csv()[0][0], "seq");
    // The dashboard table and monitoring: their rows, coloured with reasons.
    let dashboard = admin.get(&format!("/programs/{program}/dashboard"));
    let table = download(admin.req(
        Method::GET,
        &format!("/programs/{program}/dashboard?format=xlsx"),
    ))
    .sheet();
    assert_eq!(table[0][1], "指标");
    assert_eq!(
        table.len() - 1,
        dashboard.body["items"].as_array().unwrap().len()
    );
    assert!(
        table[1..]
            .iter()
            .all(|r| ["红", "黄", "绿", ""].contains(&r[7].as_str()))
    );
    let monitoring = admin.get(&format!("/programs/{program}/monitoring"));
    let watched = download(admin.req(
        Method::GET,
        &format!("/programs/{program}/monitoring?format=csv"),
    ))
    .csv();
    assert_eq!(watched[0][7], "预警颜色");
    assert_eq!(
        watched.len() - 1,
        monitoring.body["projects"].as_array().unwrap().len()
    );
    // The same scope as the JSON list: the enterprise's user exports its own.
    let own = download(ent.req(Method::GET, "/enterprises?format=csv")).csv();
    assert_eq!(own.len() - 1, 1);
    // Filters hold too, and a format the list does not give is refused.
    let filtered = download(admin.req(
        Method::GET,
        &format!("/enterprises?program_id={program}&format=csv"),
    ))
    .csv();
    assert_eq!(
        filtered.len() - 1,
        walk(&admin, &format!("/enterprises?program_id={program}")).len()
    );
    admin
        .get("/enterprises?format=pdf")
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Without the right, no file: the same 403 as the list.
    let stranger = app.user_with_grants("nobody.excel", json!([]));
    let refused = stranger.get("/audit-log?format=xlsx");
    refused.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn an_exported_enterprise_file_imports_again_unchanged_formulas_neutralised(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let regions = city.get(&format!("/programs/{yinchuan}/regions"));
    let industries = city.get(&format!("/programs/{yinchuan}/industries"));
    for (n, name) in ["=1+2 有限公司", "+宁夏 @工厂", "-银川\t公司", "普通公司"]
        .iter()
        .enumerate()
    {
        let res = city.post(
            "/enterprises",
            json!({"uscc": uscc("640100", 900 + n as u32), "name": name, "program_id": yinchuan,
                   "region_code": regions.body["items"][n]["code"],
                   "industry_code": industries.body["items"][0]["code"],
                   "size_class": "small", "revenue_fen": 123_456_789, "employees": 12,
                   "contact_phone": "13800138000", "tier": "pilot", "specialised": true}),
        );
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let list = "/enterprises?program_id=yinchuan";
    for (accept, media) in [
        ("text/csv", "text/csv"),
        ("text/csv; charset=gb18030", "text/csv"),
        (XLSX, XLSX),
    ] {
        for lang in ["zh-CN", "en"] {
            let file = download(
                city.req(Method::GET, list)
                    .header("Accept", accept)
                    .header("Accept-Language", lang),
            );
            assert_eq!(file.status, StatusCode::OK, "{accept}");
            if media == "text/csv" {
                let rows = file.csv();
                assert!(
                    rows.iter().any(|r| r[1] == "'=1+2 有限公司"),
                    "{accept}: {rows:?}"
                );
            }
            let back = import(
                &city,
                "/enterprises/import",
                "program_id=yinchuan",
                media,
                file.bytes,
            );
            assert_eq!(
                back.status,
                StatusCode::OK,
                "{accept} {lang}: {}",
                back.body
            );
            assert_eq!(
                (
                    back.body["created"].as_u64(),
                    back.body["updated"].as_u64(),
                    back.body["failed"].as_u64(),
                    back.body["unchanged"].as_u64()
                ),
                (Some(0), Some(0), Some(0), Some(4)),
                "{accept} {lang}: the round trip changes nothing: {}",
                back.body
            );
        }
    }
    let named = city.get("/enterprises?q=%3D1%2B2");
    assert_eq!(
        named.body["items"][0]["name"], "=1+2 有限公司",
        "stored as typed"
    );
}

fn a_programme_is_named_by_its_code_wherever_its_id_is(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let by_id = city.get(&format!("/programs/{yinchuan}"));
    let by_code = city.get("/programs/yinchuan");
    assert_eq!(by_code.status, StatusCode::OK, "{}", by_code.body);
    assert_eq!(by_code.body, by_id.body);
    let regions = city.get("/programs/yinchuan/regions");
    assert_eq!(
        regions.body,
        city.get(&format!("/programs/{yinchuan}/regions")).body
    );
    // In a query, on an import, as anywhere.
    let filtered = city.get("/enterprises?program_id=yinchuan");
    assert_eq!(filtered.status, StatusCode::OK);
    let dry = import(
        &city,
        "/enterprises/import",
        "program_id=yinchuan&dry_run=true",
        "text/csv",
        "统一社会信用代码,企业名称,所属区县\n916401223A000H0C6X,宁夏某公司,贺兰县\n".into(),
    );
    assert_eq!(dry.body["outcome"], "would_write", "{}", dry.body);
    // A code that names nothing is an unknown programme: one 4xx.
    city.get("/programs/atlantis")
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let admin = app.admin();
    import(
        &admin,
        "/enterprises/import",
        "program_id=atlantis",
        "text/csv",
        "统一社会信用代码,企业名称,所属区县\n916401223A000H0C6X,宁夏某公司,贺兰县\n".into(),
    )
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Another programme's code is out of scope as its id is.
    let xuchang = app.program_id("xuchang");
    assert_eq!(
        city.get("/programs/xuchang/regions").status,
        city.get(&format!("/programs/{xuchang}/regions")).status
    );
}

/// The `shuzhuan` binary beside the test binaries (`make test` builds it).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("shuzhuan");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p shuzhuan-api --bin shuzhuan` (make test does)",
        bin.display()
    );
    bin
}

fn client(app: &TestApp, token: &str, file: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    if !extra.contains(&"--lang") {
        cmd.env("LANG", "zh_CN.UTF-8").env("LC_ALL", "zh_CN.UTF-8");
    }
    cmd.arg("import")
        .arg("enterprises")
        .arg(file)
        .args(["--server", &app.url(""), "--token", token])
        .args(extra)
        .env("RUST_LOG", "off");
    cmd
}

fn the_client_never_gets_stuck_resumes_without_resending_and_says_so(app: TestApp) {
    let (_, city) = city(&app);
    let token = city.token.clone();
    let dir = tempfile_dir();
    let file = dir.join("企业名单.csv");
    let mut text = String::from("统一社会信用代码,企业名称,所属区县,企业规模\n");
    for n in 0..120u32 {
        text.push_str(&format!(
            "{},银川某企业{n},贺兰县,小型\n",
            uscc("640122", 5_000 + n)
        ));
    }
    std::fs::write(&file, &text).unwrap();
    // Without the programme: refused once, in words, naming the file.
    let out = client(&app, &token, &file, &["--chunk-rows", "40"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("企业名单.csv") && said.contains("program_id"),
        "{said}"
    );
    assert_eq!(said.matches("第 1 块").count(), 1, "said once: {said}");
    // Corrected, the same file goes through: the key includes the programme.
    let out = client(
        &app,
        &token,
        &file,
        &["--chunk-rows", "40", "--program-id", "yinchuan"],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("共 120 行：新建 120"), "{report}");
    // A file with one bad row in its second chunk: the report counts the
    // good rows of that rejected chunk as skipped.
    let bad = dir.join("bad.csv");
    let broken = text.replacen("银川某企业50,贺兰县,小型", "银川某企业50,贺兰县,小", 1);
    std::fs::write(&bad, broken).unwrap();
    let out = client(
        &app,
        &token,
        &bad,
        &["--chunk-rows", "40", "--program-id", "yinchuan"],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("未变 80，错误 1，跳过 39（被整块拒绝的 1 个分块中的正确行）"),
        "{report}"
    );
    assert!(report.contains("第 52 行，企业规模"), "{report}");
    // Ctrl-C after the first chunk: what was committed and how to resume.
    let many = dir.join("many.csv");
    let mut text = String::from("统一社会信用代码,企业名称,所属区县\n");
    for n in 0..400u32 {
        text.push_str(&format!(
            "{},宁夏某企业{n},贺兰县\n",
            uscc("640122", 9_000 + n)
        ));
    }
    std::fs::write(&many, &text).unwrap();
    let journal = dir.join(".many.csv.shuzhuan-import.json");
    let running = client(
        &app,
        &token,
        &many,
        &["--chunk-rows", "2", "--program-id", "yinchuan"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    while !journal.exists() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Command::new("kill")
        .args(["-INT", &running.id().to_string()])
        .status()
        .unwrap();
    let out = running.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{said}");
    assert!(
        said.contains("已中断") && said.contains("继续导入请运行"),
        "{said}"
    );
    let resume = said.lines().last().unwrap().trim().to_owned();
    assert!(
        resume.contains("many.csv") && !resume.contains(&token),
        "{resume}"
    );
    let committed: u64 = walk(&city, "/enterprises?q=宁夏某企业").len() as u64;
    assert!(committed < 400, "stopped early");
    // Resumed: the committed chunks are not sent again.
    let out = client(
        &app,
        &token,
        &many,
        &["--chunk-rows", "2", "--program-id", "yinchuan"],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("共 400 行"), "{report}");
    assert!(
        report.contains(&format!(
            "其中 {} 个分块已在此前的运行中完成",
            committed / 2
        )),
        "{report}"
    );
    assert_eq!(walk(&city, "/enterprises?q=宁夏某企业").len(), 400);
    assert!(!journal.exists(), "a finished run leaves no journal");
    // --restart sends everything again (unchanged now).
    let out = client(
        &app,
        &token,
        &many,
        &[
            "--chunk-rows",
            "200",
            "--program-id",
            "yinchuan",
            "--restart",
            "--lang",
            "en",
        ],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("400 rows: 0 created, 0 updated, 400 unchanged"),
        "{report}"
    );
    // A file that is not there is named.
    let out = client(&app, &token, &dir.join("missing.xlsx"), &["--lang", "en"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("cannot read") && said.contains("missing.xlsx"),
        "{said}"
    );
    // A workbook goes through the client too.
    let book = dir.join("quirks.xlsx");
    std::fs::write(&book, fixture("enterprises-yinchuan-quirks.xlsx")).unwrap();
    let out = client(
        &app,
        &token,
        &book,
        &[
            "--chunk-rows",
            "10",
            "--program-id",
            "yinchuan",
            "--partial",
            "--dry-run",
        ],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("共 40 行：新建 35"), "{report}");
    assert!(report.contains("第 31 行，统一社会信用代码"), "{report}");
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shuzhuan-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

//! A programme's targets (目标): set one by one, imported as a table in the
//! registries' import conventions, or shipped with a seed pack. A table
//! whose parts do not add up to its totals is accepted with one warning per
//! mismatch (Yinchuan annex 1's level-4 row is such a table).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shuzhuan_monitoring::targets::{self as domain, Dimension, Metric, Mismatch, Scope, Unit};
use shuzhuan_persistence::repo::supervision;
use shuzhuan_persistence::rows::TargetRow;
use shuzhuan_persistence::{AnyConnection, Coded, Session, Tx, new_id, now};
use shuzhuan_types::ObjectType;
use utoipa::ToSchema;
use validator::Validate;

use crate::error::{AppError, FieldError, Result, Text};
use crate::imports::names::Context;
use crate::imports::run::{Columns, ReadRow, Reader, Registry, fields_of, import, row_error, text};
use crate::imports::{Record, Report, Request, RowError, parse_bool};
use crate::input::{Body, Page};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_schema, one_of, utc};

/// One target as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    pub id: String,
    pub program_id: String,
    #[schema(schema_with = code_schema::<Metric>)]
    pub metric: Metric,
    /// The metric's Chinese name.
    pub metric_name: String,
    /// `count`, `share_bp` (basis points: 9500 = 95 %) or `amount_fen`.
    #[schema(example = "count")]
    pub unit: String,
    pub year: Option<i32>,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub value: i64,
    /// Counts everything up to the end of `year` (not a yearly part).
    pub cumulative: bool,
    /// An actual recorded by hand, for metrics the data does not hold.
    pub recorded_actual: Option<i64>,
    /// The figure the plan's text gives where its annex (the value) says
    /// otherwise; the table warns about each.
    pub text_value: Option<i64>,
    /// Where the number comes from (seed file and clause).
    pub source: String,
    pub note: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn unit_str(u: Unit) -> &'static str {
    match u {
        Unit::Count => "count",
        Unit::ShareBp => "share_bp",
        Unit::AmountFen => "amount_fen",
    }
}

impl From<TargetRow> for TargetView {
    fn from(r: TargetRow) -> Self {
        let metric = r.metric.0;
        TargetView {
            metric_name: metric.name_zh().to_owned(),
            unit: unit_str(metric.unit()).to_owned(),
            id: r.id,
            program_id: r.program_id,
            metric,
            year: r.year,
            industry_code: r.industry_code,
            region_code: r.region_code,
            value: r.value,
            cumulative: r.cumulative,
            recorded_actual: r.recorded_actual,
            text_value: r.text_value,
            source: r.source,
            note: r.note,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// A target to look at again: a total whose parts add up to something
/// else (`kind` sum_of_parts), or a figure the plan's text and its annex
/// give differently (`kind` text_and_annex: `total` is the annex's value,
/// `sum_of_parts` the text's figure).
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetWarning {
    /// sum_of_parts or text_and_annex.
    #[schema(example = "sum_of_parts")]
    pub kind: String,
    #[schema(schema_with = code_schema::<Metric>)]
    pub metric: Metric,
    pub year: Option<i32>,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    /// What the parts break the total down by: year, industry or region
    /// (`text` for a text-and-annex warning).
    #[schema(example = "industry")]
    pub by: String,
    pub total: i64,
    pub sum_of_parts: i64,
    pub parts: usize,
    pub message: String,
}

fn dimension_str(d: Dimension) -> &'static str {
    match d {
        Dimension::Year => "year",
        Dimension::Industry => "industry",
        Dimension::Region => "region",
    }
}

/// The warning's text in both languages.
fn mismatch_text(m: &Mismatch) -> Text {
    let scope = |none: &str| {
        let parts: Vec<String> = [
            m.scope.year.map(|y| y.to_string()),
            m.scope.industry.clone(),
            m.scope.region.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            none.to_owned()
        } else {
            parts.join(" / ")
        }
    };
    Text::new(
        format!(
            "{} ({}): the total {} but its {} parts by {} add up to {}",
            m.metric.key(),
            scope("whole programme"),
            m.total,
            m.parts,
            dimension_str(m.by),
            m.sum_of_parts
        ),
        format!(
            "{}（{}）：合计 {}，但按{}分项之和为 {}",
            m.metric.name_zh(),
            scope("全周期"),
            m.total,
            match m.by {
                Dimension::Year => "年度",
                Dimension::Industry => "行业",
                Dimension::Region => "地区",
            },
            m.sum_of_parts
        ),
    )
}

/// The warning where a plan's text and its annex disagree.
pub(crate) fn text_and_annex(metric: Metric, year: Option<i32>, annex: i64, text: i64) -> String {
    let when = year.map(|y| format!(" in {y}")).unwrap_or_default();
    format!(
        "{}{when}: the annex gives {annex}, the plan's text {text}; the annex's figure is the target",
        metric.key()
    )
}

/// The roll-up check of a programme's stored table.
fn mismatches_of(rows: &[TargetRow]) -> Vec<Mismatch> {
    let targets: Vec<domain::Target> = rows
        .iter()
        .map(|r| domain::Target {
            metric: r.metric.0,
            scope: Scope {
                year: r.year,
                industry: r.industry_code.clone(),
                region: r.region_code.clone(),
            },
            value: r.value,
            cumulative: r.cumulative,
        })
        .collect();
    domain::mismatches(&targets)
}

/// A page of a programme's targets, with the warnings of the whole
/// table's roll-up (on every page, as they concern totals and parts that
/// may lie on different pages).
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetTable {
    /// The targets of this page, by metric and scope.
    pub items: Vec<TargetView>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// A warning per total whose parts do not add up.
    pub warnings: Vec<TargetWarning>,
}

/// A target to set: `value` in the metric's unit (a count, basis points
/// for shares, fen for amounts). Industry and region by code or by the
/// programme's name for them.
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"metric": "enterprises_transformed", "year": 2026, "region_code": "640122", "value": 37, "source": "004 附件2"}))]
pub struct TargetSpec {
    #[schema(schema_with = code_schema::<Metric>)]
    pub metric: String,
    #[validate(range(
        min = 2000,
        max = 2100,
        message = "must be 2000 to 2100",
        code = "range"
    ))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(length(min = 1, max = 100, message = "1 to 100 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 100)]
    pub industry_code: Option<String>,
    #[validate(length(min = 1, max = 100, message = "1 to 100 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 100)]
    pub region_code: Option<String>,
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub value: i64,
    #[serde(default)]
    pub cumulative: bool,
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub recorded_actual: Option<i64>,
    /// The figure the plan's text gives where its annex (`value`) says
    /// otherwise (Yinchuan 004 item 10 “每年…小灯塔不少于20家” against annex
    /// 1's 15 for 2027): kept beside the value, and warned about.
    #[serde(default)]
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub text_value: Option<i64>,
    #[serde(default)]
    #[validate(length(max = 500, message = "at most 500 characters", code = "length"))]
    #[schema(max_length = 500)]
    pub source: String,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// A target read and resolved against the programme.
#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    metric: Metric,
    year: Option<i32>,
    industry_code: Option<String>,
    region_code: Option<String>,
    value: i64,
    cumulative: bool,
    recorded_actual: Option<i64>,
    text_value: Option<i64>,
    source: String,
    note: String,
}

impl Parsed {
    /// One target per metric and scope.
    fn scope_key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.metric.key(),
            self.year.map(|y| y.to_string()).unwrap_or_default(),
            self.industry_code.as_deref().unwrap_or_default(),
            self.region_code.as_deref().unwrap_or_default()
        )
    }
}

/// Resolves a spec: a known metric, a share within 100 %, an industry and
/// region of the programme (by code or name).
fn parse_spec(spec: &TargetSpec, ctx: &Context) -> std::result::Result<Parsed, Vec<FieldError>> {
    let mut errors = Vec::new();
    let metric = Metric::parse(&spec.metric);
    if metric.is_none() {
        errors.push(FieldError::new(
            "metric",
            "unknown_metric",
            Text::new(
                format!("`{}` is not a metric (see the schema's list)", spec.metric),
                format!("`{}` 不是已知指标", spec.metric),
            ),
        ));
    }
    if metric.is_some_and(|m| m.unit() == Unit::ShareBp) && spec.value > 10_000 {
        errors.push(FieldError::new(
            "value",
            "range",
            Text::new(
                "a share is at most 10000 basis points (100 %)",
                "占比不能超过 10000 个基点（100%）",
            ),
        ));
    }
    let mut resolve =
        |field: &str, resolved: Option<Result<String, (&'static str, Text)>>| match resolved {
            Some(Ok(code)) => Some(code),
            Some(Err((code, message))) => {
                errors.push(FieldError::new(field, code, message));
                None
            }
            None => None,
        };
    let industry_code = resolve(
        "industry_code",
        spec.industry_code.as_deref().map(|g| ctx.industry(g)),
    );
    let region_code = resolve(
        "region_code",
        spec.region_code.as_deref().map(|g| ctx.region(g)),
    );
    match metric {
        Some(metric) if errors.is_empty() => Ok(Parsed {
            metric,
            year: spec.year,
            industry_code,
            region_code,
            value: spec.value,
            cumulative: spec.cumulative,
            recorded_actual: spec.recorded_actual,
            text_value: spec.text_value,
            source: spec.source.clone(),
            note: spec.note.clone(),
        }),
        _ => Err(errors),
    }
}

/// How a write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Created,
    Updated,
    Unchanged,
}

/// Creates or updates the target of the parsed scope in the open unit of
/// work; `insert_only` refuses an existing one (409).
fn store(
    tx: &mut Tx<'_>,
    program_id: &str,
    p: Parsed,
    insert_only: bool,
) -> Result<(Stored, TargetRow)> {
    let key = p.scope_key();
    let existing = supervision::find_target(tx.conn(), program_id, &key)?;
    let at = now();
    let fresh = TargetRow {
        id: new_id(),
        program_id: program_id.to_owned(),
        metric: Coded(p.metric),
        year: p.year,
        industry_code: p.industry_code,
        region_code: p.region_code,
        scope_key: key,
        value: p.value,
        cumulative: p.cumulative,
        recorded_actual: p.recorded_actual,
        source: p.source,
        note: p.note,
        version: 1,
        created_at: at,
        updated_at: at,
        text_value: p.text_value,
    };
    let Some(before) = existing else {
        supervision::insert_target(tx.conn(), &fresh)?;
        let view = TargetView::from(fresh.clone());
        tx.record(change(
            "target.create",
            ObjectType::Target,
            Key::new(&fresh.id, Some(program_id), 1),
            None,
            &view,
        ));
        return Ok((Stored::Created, fresh));
    };
    if insert_only {
        return Err(AppError::Conflict {
            code: "target_exists",
            detail: Text::new(
                "A target for this metric and scope exists; import with mode=upsert to change it.",
                "该指标在此范围内已有目标；如需修改请以 mode=upsert 导入。",
            ),
        });
    }
    let after = TargetRow {
        id: before.id.clone(),
        version: before.version + 1,
        created_at: before.created_at,
        ..fresh
    };
    fn content(r: &TargetRow) -> (i64, bool, Option<i64>, Option<i64>, &str, &str) {
        (
            r.value,
            r.cumulative,
            r.recorded_actual,
            r.text_value,
            &r.source,
            &r.note,
        )
    }
    if content(&before) == content(&after) {
        return Ok((Stored::Unchanged, before));
    }
    supervision::update_target(tx.conn(), &after, before.version)?;
    tx.record(change(
        "target.update",
        ObjectType::Target,
        Key::new(&after.id, Some(program_id), after.version),
        Some(&TargetView::from(before)),
        &TargetView::from(after.clone()),
    ));
    Ok((Stored::Updated, after))
}

/// Stores a seed pack's targets (or `POST /programs`'s), naming each
/// failing entry `targets[i].field`.
pub(crate) fn store_pack_targets(
    tx: &mut Tx<'_>,
    program_id: &str,
    specs: &[TargetSpec],
) -> Result<()> {
    let ctx = Context::load(tx.conn(), Some(program_id))?;
    let mut errors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        match parse_spec(spec, &ctx) {
            Ok(p) => {
                store(tx, program_id, p, false)?;
            }
            Err(es) => errors.extend(es.into_iter().map(|mut e| {
                e.field = format!("targets[{i}].{}", e.field);
                e
            })),
        }
    }
    AppError::check(errors)
}

fn table(rows: Vec<TargetRow>, page: &Page) -> Result<TargetTable> {
    let mut warnings: Vec<TargetWarning> = mismatches_of(&rows)
        .iter()
        .map(|m| TargetWarning {
            kind: "sum_of_parts".to_owned(),
            metric: m.metric,
            year: m.scope.year,
            industry_code: m.scope.industry.clone(),
            region_code: m.scope.region.clone(),
            by: dimension_str(m.by).to_owned(),
            total: m.total,
            sum_of_parts: m.sum_of_parts,
            parts: m.parts,
            message: mismatch_text(m).en.to_string(),
        })
        .collect();
    warnings.extend(rows.iter().filter_map(|r| {
        let text = r.text_value.filter(|t| *t != r.value)?;
        Some(TargetWarning {
            kind: "text_and_annex".to_owned(),
            metric: r.metric.0,
            year: r.year,
            industry_code: r.industry_code.clone(),
            region_code: r.region_code.clone(),
            by: "text".to_owned(),
            total: r.value,
            sum_of_parts: text,
            parts: 1,
            message: text_and_annex(r.metric.0, r.year, r.value, text),
        })
    }));
    let List { items, next_cursor } =
        List::paged(rows.into_iter().map(TargetView::from).collect(), page)?;
    Ok(TargetTable {
        items,
        next_cursor,
        warnings,
    })
}

/// Every target of the programme, and a warning per total whose parts do
/// not add up.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<TargetTable> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    table(supervision::targets_of(s.conn(), program_id)?, page)
}

/// One target of the programme.
pub fn get(s: &mut Session, who: &Principal, program_id: &str, id: &str) -> Result<TargetView> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    let rows = supervision::targets_of(s.conn(), program_id)?;
    one_of(rows.into_iter().map(TargetView::from).collect(), |t| {
        t.id == id
    })
}

/// Sets one target (409 `target_exists` for a metric and scope set already).
pub fn create(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<TargetSpec>,
) -> Result<TargetView> {
    require_in_programme(who, Right::SetTargets, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        let ctx = Context::load(tx.conn(), Some(program_id))?;
        let parsed = parse_spec(&spec, &ctx).map_err(AppError::Validation)?;
        Ok(TargetView::from(store(tx, program_id, parsed, true)?.1))
    })
}

/// Column titles of a target table.
const COLUMNS: Columns = &[
    ("metric", &["指标", "指标名称", "目标内容", "指标代码"]),
    ("value", &["目标值", "目标", "数值", "数量"]),
    (
        "value_wan",
        &["金额(万元)", "金额（万元）", "资金(万元)", "资金（万元）"],
    ),
    ("year", &["年度", "年份"]),
    ("industry_code", &["行业", "所属行业", "细分行业"]),
    ("region_code", &["地区", "区县", "所属区县", "县(市)区"]),
    ("cumulative", &["累计", "是否累计"]),
    ("recorded_actual", &["实际值", "完成值"]),
    ("source", &["来源", "出处"]),
    ("note", &["备注", "说明"]),
];

/// A value in the metric's unit: `95%` or `95.5%` for shares (else basis
/// points), digits with optional thousands separators otherwise.
fn parse_value(metric: Option<Metric>, v: &Value) -> Option<i64> {
    if let Value::Number(n) = v {
        return n.as_i64();
    }
    let t = text(v).replace([',', '，'], "");
    if let Some(pct) = t.strip_suffix('%').or_else(|| t.strip_suffix('％')) {
        if metric.is_some_and(|m| m.unit() != Unit::ShareBp) {
            return None;
        }
        // An exact decimal reader scaled by 10^6: percent × 10^6 / 10^4
        // is basis points, without floating point.
        let bp = crate::imports::wan_yuan_to_fen(&Value::String(pct.trim().to_owned()))? / 10_000;
        return Some(bp);
    }
    t.parse().ok()
}

/// How a target row reads: names resolved in the programme's context.
struct TargetReader(Context);

impl Reader for TargetReader {
    type Parsed = Parsed;
    const COLUMNS: Columns = COLUMNS;
    const KEY_FIELD: &'static str = "metric";
    const KEY_TITLE: &'static str = "指标";

    fn read(&self, rec: &Record) -> std::result::Result<(String, Parsed), Vec<RowError>> {
        let mut errors = Vec::new();
        let known = fields_of(COLUMNS, rec, &mut errors);
        let cell = |field: &str| {
            known
                .iter()
                .find(|(f, _, _)| *f == field)
                .map(|(_, _, v)| *v)
        };
        let metric = cell("metric").and_then(|v| Metric::parse(&text(v)));
        let mut fail = |field: &str, code: &str, message: Text| {
            errors.push(row_error(COLUMNS, rec, field, code, message));
        };
        let value = match (cell("value"), cell("value_wan")) {
            (Some(v), _) => parse_value(metric, v),
            (None, Some(w)) => crate::imports::wan_yuan_to_fen(w),
            (None, None) => None,
        };
        if value.is_none() {
            fail(
                "value",
                "invalid_value",
                Text::new(
                    "not a number in the metric's unit",
                    "不是该指标单位下的有效数值",
                ),
            );
        }
        let year = match cell("year").map(|v| text(v).trim_end_matches('年').parse::<i32>()) {
            None => None,
            Some(Ok(y)) => Some(y),
            Some(Err(_)) => {
                fail(
                    "year",
                    "invalid_value",
                    Text::new("not a year", "不是有效年份"),
                );
                None
            }
        };
        let flag = |field: &str| cell(field).map(parse_bool);
        let cumulative = match flag("cumulative") {
            None => false,
            Some(Some(b)) => b,
            Some(None) => {
                fail(
                    "cumulative",
                    "invalid_value",
                    Text::new("not yes or no", "应为是或否"),
                );
                false
            }
        };
        let spec = TargetSpec {
            metric: cell("metric").map(text).unwrap_or_default(),
            year,
            industry_code: cell("industry_code").map(text),
            region_code: cell("region_code").map(text),
            value: value.unwrap_or_default(),
            cumulative,
            recorded_actual: cell("recorded_actual").and_then(|v| parse_value(metric, v)),
            text_value: None,
            source: cell("source").map(text).unwrap_or_default(),
            note: cell("note").map(text).unwrap_or_default(),
        };
        if let Err(field_errors) = spec.validate() {
            errors.extend(
                crate::error::from_validation(&field_errors)
                    .into_iter()
                    .map(|e| row_error(COLUMNS, rec, &e.field, &e.code, e.message)),
            );
        }
        match parse_spec(&spec, &self.0) {
            Ok(p) if errors.is_empty() => Ok((p.scope_key(), p)),
            Ok(_) => Err(errors),
            Err(es) => {
                errors.extend(
                    es.into_iter()
                        .map(|e| row_error(COLUMNS, rec, &e.field, &e.code, e.message)),
                );
                Err(errors)
            }
        }
    }
}

/// A programme's target table as an import fills it.
struct TargetImport {
    program_id: String,
    insert_only: bool,
}

impl Registry for TargetImport {
    type Reader = TargetReader;
    const TABLE: shuzhuan_persistence::RegistryTable = shuzhuan_persistence::RegistryTable::Targets;

    fn store(
        &mut self,
        tx: &mut Tx<'_>,
        rows: Vec<ReadRow<Parsed>>,
        report: &mut Report,
    ) -> Result<()> {
        for row in rows {
            match store(tx, &self.program_id, row.parsed, self.insert_only) {
                Ok((Stored::Created, _)) => report.created += 1,
                Ok((Stored::Updated, _)) => report.updated += 1,
                Ok((Stored::Unchanged, _)) => report.unchanged += 1,
                Err(AppError::Conflict { code, detail }) => report
                    .errors
                    .push(row_error(COLUMNS, &row.rec, "metric", code, detail)),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn warnings(&self, conn: &mut AnyConnection) -> Result<Vec<Text>> {
        let rows = supervision::targets_of(conn, &self.program_id)?;
        Ok(mismatches_of(&rows).iter().map(mismatch_text).collect())
    }
}

/// Imports a target table (the programme's city_admin).
pub fn import_targets(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    request: Request,
) -> Result<Report> {
    require_in_programme(who, Right::SetTargets, program_id)?;
    if request
        .query
        .program_id
        .as_deref()
        .is_some_and(|p| p != program_id)
    {
        return Err(AppError::field(
            "program_id",
            "program_mismatch",
            Text::new(
                "the query names another programme than the path",
                "查询参数中的试点与路径不一致",
            ),
        ));
    }
    let insert_only = request.query.mode.as_deref() == Some("insert");
    import(s, who, request, |conn| {
        let reader = TargetReader(Context::load(conn, Some(program_id))?);
        Ok((
            reader,
            TargetImport {
                program_id: program_id.to_owned(),
                insert_only,
            },
        ))
    })
}

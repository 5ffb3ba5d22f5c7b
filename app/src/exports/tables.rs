//! What each export holds: which field goes in which column, under which
//! titles. The enterprise table uses the enterprise import's own columns,
//! so an exported file imports again unchanged.

use shuzhuan_monitoring::Colour;
use shuzhuan_types::{SizeClass, Tier};

use super::{Column, Kind, Table};

fn size_class(code: &str) -> Option<&'static str> {
    SizeClass::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.name_zh())
}

fn tier(code: &str) -> Option<&'static str> {
    Tier::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.name_zh())
}

fn colour(code: &str) -> Option<&'static str> {
    Colour::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| match c {
            Colour::Green => "绿",
            Colour::Yellow => "黄",
            Colour::Red => "红",
        })
}

/// A column: field, English title, Chinese title, kind.
const fn col(field: &'static str, en: &'static str, zh: &'static str, kind: Kind) -> Column {
    Column {
        field,
        en,
        zh,
        kind,
    }
}

/// The enterprise list (企业名单), in the columns the enterprise import reads, so an export imports again unchanged.
pub static ENTERPRISES: Table = Table {
    en: "enterprises",
    zh: "企业名单",
    columns: &[
        col("uscc", "uscc", "统一社会信用代码", Kind::Text),
        col("name", "name", "企业名称", Kind::Text),
        col("region_code", "region_code", "所属区县", Kind::Text),
        col("industry_code", "industry_code", "所属行业", Kind::Text),
        col(
            "above_designated_size",
            "above_designated_size",
            "是否规上",
            Kind::Bool,
        ),
        col(
            "size_class",
            "size_class",
            "企业规模",
            Kind::Named(size_class),
        ),
        col("specialised", "specialised", "专精特新", Kind::Bool),
        col("little_giant", "little_giant", "小巨人", Kind::Bool),
        col("innovative", "innovative", "创新型", Kind::Bool),
        col("chain_master", "chain_master", "链主", Kind::Bool),
        col("employees", "employees", "从业人数", Kind::Int),
        col("revenue_fen", "revenue_yuan", "营业收入（元）", Kind::Fen),
        col("contact_name", "contact_name", "联系人", Kind::Text),
        col("contact_phone", "contact_phone", "联系电话", Kind::Text),
        col("cloud_adopted", "cloud_adopted", "是否上云", Kind::Bool),
        col("tier", "tier", "入库类型", Kind::Named(tier)),
    ],
};

/// The provider registry (服务商名单).
pub static PROVIDERS: Table = Table {
    en: "providers",
    zh: "服务商名单",
    columns: &[
        col("uscc", "uscc", "统一社会信用代码", Kind::Text),
        col("name", "name", "服务商名称", Kind::Text),
        col("kind", "kind", "服务商类型", Kind::Text),
        col("specialty", "specialty", "专业领域", Kind::Text),
        col("local", "local", "是否本地", Kind::Bool),
        col("scenarios", "scenarios", "服务场景", Kind::List),
        col("contact_name", "contact_name", "联系人", Kind::Text),
        col("contact_phone", "contact_phone", "联系电话", Kind::Text),
        col("description", "description", "简介", Kind::Text),
        col("updated_at", "updated_at", "更新时间", Kind::Time),
    ],
};

/// A programme's provider pool (服务商资源池).
pub static POOL: Table = Table {
    en: "provider-pool",
    zh: "服务商资源池",
    columns: &[
        col("provider_id", "provider_id", "服务商ID", Kind::Text),
        col("name", "name", "服务商名称", Kind::Text),
        col("status", "status", "状态", Kind::Text),
        col("grade", "grade", "等级", Kind::Text),
        col("reason", "reason", "理由", Kind::Text),
        col("updated_at", "updated_at", "更新时间", Kind::Time),
    ],
};

/// A programme's product library (产品库).
pub static LIBRARY: Table = Table {
    en: "product-library",
    zh: "产品库",
    columns: &[
        col("product_id", "product_id", "产品ID", Kind::Text),
        col("provider_id", "provider_id", "服务商ID", Kind::Text),
        col("name", "name", "产品名称", Kind::Text),
        col("status", "status", "状态", Kind::Text),
        col("grade", "grade", "等级", Kind::Text),
        col("reason", "reason", "理由", Kind::Text),
        col("updated_at", "updated_at", "更新时间", Kind::Time),
    ],
};

/// A programme's projects (改造项目) with levels, progress and money.
pub static PROJECTS: Table = Table {
    en: "projects",
    zh: "改造项目",
    columns: &[
        col("id", "id", "项目ID", Kind::Text),
        col("title", "title", "项目名称", Kind::Text),
        col("enterprise_id", "enterprise_id", "企业ID", Kind::Text),
        col("region_code", "region_code", "所属区县", Kind::Text),
        col("batch_id", "batch_id", "批次ID", Kind::Text),
        col("provider_id", "provider_id", "服务商ID", Kind::Text),
        col("state", "state", "状态", Kind::Text),
        col("level_before", "level_before", "改造前等级", Kind::Int),
        col("level_after", "level_after", "改造后等级", Kind::Int),
        col("level_gain", "level_gain", "等级提升", Kind::Int),
        col(
            "progress_percent",
            "progress_percent",
            "进度（%）",
            Kind::Int,
        ),
        col("subsidy_fen", "subsidy", "核定补贴（元）", Kind::Fen),
        col("disbursed_fen", "disbursed", "已拨付（元）", Kind::Fen),
        col(
            "rectification_deadline",
            "rectification_deadline",
            "整改期限",
            Kind::Date,
        ),
        col("updated_at", "updated_at", "更新时间", Kind::Time),
    ],
};

/// The dashboard table (目标完成情况): each metric's target, actual, share and colour.
pub static TARGETS: Table = Table {
    en: "targets",
    zh: "目标完成情况",
    columns: &[
        col("metric", "metric", "指标代码", Kind::Text),
        col("metric_name", "metric_name", "指标", Kind::Text),
        col("unit", "unit", "单位", Kind::Text),
        col("target", "target", "目标值", Kind::ByUnit),
        col("actual", "actual", "实际值", Kind::ByUnit),
        col("share_bp", "share", "完成率", Kind::Percent),
        col("expected_pct", "expected_pct", "应达进度（%）", Kind::Int),
        col("colour", "colour", "预警颜色", Kind::Named(colour)),
        col("reason", "reason", "原因", Kind::Text),
        col("source", "source", "依据", Kind::Text),
    ],
};

/// Monitored projects (项目监测) with their colour and reasons.
pub static MONITORING: Table = Table {
    en: "monitoring",
    zh: "项目监测",
    columns: &[
        col("project_id", "project_id", "项目ID", Kind::Text),
        col("title", "title", "项目名称", Kind::Text),
        col("enterprise_id", "enterprise_id", "企业ID", Kind::Text),
        col("region_code", "region_code", "所属区县", Kind::Text),
        col("batch_id", "batch_id", "批次ID", Kind::Text),
        col("provider_id", "provider_id", "服务商ID", Kind::Text),
        col("state", "state", "状态", Kind::Text),
        col("overall", "overall", "预警颜色", Kind::Named(colour)),
        col("reasons", "reasons", "原因", Kind::List),
    ],
};

/// The risk list (风险线索): one row per flagged project, its flags and
/// their evidence one per line.
pub static RISKS: Table = Table {
    en: "risks",
    zh: "风险线索",
    columns: &[
        col("project_id", "project_id", "项目ID", Kind::Text),
        col("title", "title", "项目名称", Kind::Text),
        col("enterprise_id", "enterprise_id", "企业ID", Kind::Text),
        col("provider_id", "provider_id", "服务商ID", Kind::Text),
        col("batch_id", "batch_id", "批次ID", Kind::Text),
        col("region_code", "region_code", "所属区县", Kind::Text),
        col("score", "score", "风险分", Kind::Int),
        col("flags", "flags", "风险线索", Kind::ListOf("kind")),
        col("flags", "evidence", "依据", Kind::ListOf("reason")),
    ],
};

fn fund_source(code: &str) -> Option<&'static str> {
    Some(match code {
        "central" => "中央",
        "provincial" => "省级",
        "city" => "市级",
        "county" => "县级",
        "local" => "地方配套",
        _ => return None,
    })
}

fn fund_purpose(code: &str) -> Option<&'static str> {
    Some(match code {
        "enterprise_transformation" => "企业数字化改造",
        "awards" => "奖励",
        "service_platform" => "公共服务平台",
        "services" => "培训、对接与评测",
        "other" => "其他",
        _ => return None,
    })
}

/// Money by source and purpose (资金来源与用途).
pub static FUNDS: Table = Table {
    en: "fund-compliance",
    zh: "资金来源与用途",
    columns: &[
        col("source", "source", "资金来源", Kind::Named(fund_source)),
        col("purpose", "purpose", "用途", Kind::Named(fund_purpose)),
        col("allocated_fen", "allocated", "已安排（元）", Kind::Fen),
        col("committed_fen", "committed", "已核定（元）", Kind::Fen),
        col("disbursed_fen", "disbursed", "已拨付（元）", Kind::Fen),
        col("share_bp", "share", "占该来源比例", Kind::Percent),
    ],
};

/// Subsidy decisions (补贴决定).
pub static DECISIONS: Table = Table {
    en: "subsidy-decisions",
    zh: "补贴决定",
    columns: &[
        col("id", "id", "决定ID", Kind::Text),
        col("kind", "kind", "类型", Kind::Text),
        col("enterprise_id", "enterprise_id", "企业ID", Kind::Text),
        col("payee", "payee", "收款方", Kind::Text),
        col("amount_fen", "amount", "核定金额（元）", Kind::Fen),
        col("disbursed_fen", "disbursed", "已拨付（元）", Kind::Fen),
        col("state", "state", "状态", Kind::Text),
        col("level", "level", "等级", Kind::Int),
        col("cap_fen", "cap", "上限（元）", Kind::Fen),
        col("policy_version", "policy_version", "政策版本", Kind::Int),
        col("approved_by", "approved_by", "审批人", Kind::Text),
        col("approved_at", "approved_at", "审批时间", Kind::Time),
    ],
};

/// Disbursements (资金拨付).
pub static DISBURSEMENTS: Table = Table {
    en: "disbursements",
    zh: "资金拨付",
    columns: &[
        col("id", "id", "拨付ID", Kind::Text),
        col("decision_id", "decision_id", "决定ID", Kind::Text),
        col("payee", "payee", "收款方", Kind::Text),
        col("amount_fen", "amount", "金额（元）", Kind::Fen),
        col("paid_on", "paid_on", "拨付日期", Kind::Date),
        col("reference", "reference", "凭证号", Kind::Text),
        col("created_by", "created_by", "经办人", Kind::Text),
    ],
};

/// The audit log (审计日志); each entry's hash chains it to the one before.
pub static AUDIT_LOG: Table = Table {
    en: "audit-log",
    zh: "审计日志",
    columns: &[
        col("seq", "seq", "序号", Kind::Int),
        col("at", "at", "时间", Kind::Time),
        col("actor", "actor", "操作人", Kind::Text),
        col("action", "action", "操作", Kind::Text),
        col("object_type", "object_type", "对象类型", Kind::Text),
        col("object_id", "object_id", "对象ID", Kind::Text),
        col("program_id", "program_id", "试点ID", Kind::Text),
        col("hash", "hash", "哈希", Kind::Text),
    ],
};

/// The programme's subsidy ledger (资金台账): per enterprise, approved, paid
/// and what the cap leaves per level.
pub static LEDGER: Table = Table {
    en: "subsidy-ledger",
    zh: "资金台账",
    columns: &[
        col("enterprise_id", "enterprise_id", "企业ID", Kind::Text),
        col("approved_fen", "approved", "已核定（元）", Kind::Fen),
        col("received_fen", "received", "已拨付（元）", Kind::Fen),
        col(
            "remaining_cap_fen.2",
            "remaining_level_2",
            "二级剩余额度（元）",
            Kind::Fen,
        ),
        col(
            "remaining_cap_fen.3",
            "remaining_level_3",
            "三级剩余额度（元）",
            Kind::Fen,
        ),
        col(
            "remaining_cap_fen.4",
            "remaining_level_4",
            "四级剩余额度（元）",
            Kind::Fen,
        ),
        col("overrun_fen", "overrun", "超出上限（元）", Kind::Fen),
        col("policy_version", "policy_version", "政策版本", Kind::Int),
    ],
};

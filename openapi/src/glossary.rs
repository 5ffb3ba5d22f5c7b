//! The glossary of the contract: what each field name means wherever it
//! appears (a field means the same in every schema: `region_code` is
//! always a region of the programme), and what each schema is. Doc comments
//! on a field or schema win; the glossary describes the rest, and a test
//! fails on any field or schema it leaves undescribed.

use std::collections::BTreeMap;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// Field names whose meaning depends on the schema: (schema, field, meaning).
const IN_SCHEMA: &[(&str, &str, &str)] = &[
    (
        "EvaluationView",
        "period_kind",
        "The period the report covers: `mid_term`, `final`, `annual` or `custom`.",
    ),
    (
        "EvaluationView",
        "issued_at",
        "When this version was issued (and frozen).",
    ),
    (
        "IssueEvaluation",
        "period_kind",
        "`mid_term` (the programme's start to `as_of`), `final` (the whole programme), `annual` (the calendar `year`) or `custom` (`starts_on` to `ends_on`).",
    ),
    (
        "Award",
        "type",
        "How the award's amount is found: `fixed` or `per_unit`.",
    ),
    (
        "AuditEntryView",
        "action",
        "What was done (`create`, `update`, `transition`, `approve` …).",
    ),
    (
        "AuditEntryView",
        "before",
        "The object as it was before (null for a creation).",
    ),
    (
        "AuditEntryView",
        "after",
        "The object as it became (null for a removal).",
    ),
    (
        "DimensionDeltaView",
        "before",
        "Points of the dimension at the diagnosis.",
    ),
    (
        "DimensionDeltaView",
        "after",
        "Points of the dimension at the acceptance.",
    ),
    ("DimensionDeltaView", "code", "The dimension's code."),
    (
        "RequirementSpec",
        "action",
        "The project action that needs the documents.",
    ),
    (
        "TransitionRequest",
        "action",
        "The action to take (its fields are listed by the operation).",
    ),
    ("TransitionView", "action", "The action taken."),
    (
        "StratumView",
        "candidates",
        "Its candidates in the order the draw used, with their weights.",
    ),
    (
        "ProjectRiskView",
        "flags",
        "Its flags, each with the projects it ties it to and the evidence.",
    ),
    (
        "DashboardRow",
        "forecast",
        "Where it will stand at its deadline (low, likely, high), with its method, inputs and the day the current pace reaches the target; null for metrics without dated records (the pool, the library, the registry, figures recorded by hand).",
    ),
    (
        "DashboardRow",
        "pace_rule",
        "How its colour is judged: `paced` (counts and sums: the share reached against the elapsed share of the period) or `at_deadline` (shares: the forecast's likely value at the deadline against the target).",
    ),
    (
        "ForecastBottleneck",
        "stage",
        "The stage most of the late enterprises are at.",
    ),
    (
        "ForecastStage",
        "stage",
        "The milestone the enterprises on their way have reached last.",
    ),
    (
        "ForecastStage",
        "days_median",
        "The median days from this stage to the goal.",
    ),
    (
        "ForecastStage",
        "days_p75",
        "The 75th percentile of the days from this stage to the goal (the low forecast's).",
    ),
    (
        "ForecastView",
        "bottleneck",
        "Where the shortfall sits, when the likely value falls short; null otherwise.",
    ),
    (
        "ForecastView",
        "low",
        "The low end of the range: slow arrivals (pipeline) or half the pace (trend).",
    ),
    (
        "ForecastView",
        "likely",
        "The likely value at the deadline.",
    ),
    (
        "ForecastView",
        "high",
        "The high end: fast arrivals, every one converting (pipeline), or one and a half times the pace (trend).",
    ),
    (
        "ForecastView",
        "method",
        "`pipeline` (enterprises on their way by stage, with this programme's durations and conversion) or `trend` (the last 90 days' change carried on).",
    ),
    (
        "ProjectRisk",
        "flags",
        "Its flags, each with the projects it ties it to and the evidence (empty when it has none).",
    ),
    (
        "ProjectView",
        "risk",
        "Its risk score and flags with their evidence (风险线索), on a single read by those who read risks over it (the city, county and finance offices and observers); absent for everyone else, the enterprise and its provider above all, and in change-feed snapshots.",
    ),
    (
        "HitRateView",
        "inspected",
        "Projects inspected (a spot-check finding recorded), each once.",
    ),
    (
        "HitRateView",
        "with_findings",
        "Of them, those with an adverse finding.",
    ),
    (
        "FlagPrecision",
        "inspected",
        "Inspected projects carrying this flag today.",
    ),
    (
        "FlagPrecision",
        "with_findings",
        "Of them, those with an adverse finding.",
    ),
    (
        "Dashboard",
        "funds",
        "The programme's money by source and purpose with its earmarks checked, for callers who read its money; null for the others.",
    ),
    (
        "BatchTransitionRequest",
        "action",
        "The action that moves the batch on.",
    ),
    (
        "TransitionRequest",
        "comment",
        "A remark recorded with the step (a reason where one is needed).",
    ),
    (
        "SatisfactionSpec",
        "score",
        "Satisfaction from 1 (poor) to 5 (excellent).",
    ),
    (
        "RankedProvider",
        "score",
        "The ranking score: the sum of the points columns.",
    ),
    (
        "Health",
        "status",
        "`ok`, or `starting` while the server migrates.",
    ),
    ("Problem", "status", "The HTTP status code."),
    (
        "Problem",
        "title",
        "A short summary of the problem type, in the caller's language.",
    ),
    (
        "Problem",
        "detail",
        "What happened in this request, in the caller's language.",
    ),
    (
        "ProblemField",
        "code",
        "The field error's stable code (docs/ERRORS.md, field codes).",
    ),
    (
        "ProblemField",
        "message",
        "What is wrong and what is allowed, in the caller's language.",
    ),
    (
        "ImportRowError",
        "code",
        "The row error's stable code (docs/ERRORS.md).",
    ),
    (
        "ImportRowError",
        "message",
        "What is wrong with the cell or row, in the caller's language.",
    ),
    (
        "TargetWarning",
        "message",
        "What does not add up, in words.",
    ),
    ("TargetWarning", "total", "The total's target value."),
    ("GroupColour", "total", "Items in the group."),
    (
        "GroupColour",
        "key",
        "The group: a batch id, region code or provider id.",
    ),
    ("GroupColour", "reason", "Why the group has its colour."),
    (
        "IndicatorReading",
        "reason",
        "Why the indicator has its colour (the figure against the threshold).",
    ),
    ("Dashboard", "items", "A row per target."),
    ("ProviderRanking", "items", "Providers, best first."),
    (
        "Dashboard",
        "industry",
        "The industry filter applied, if any.",
    ),
    ("Dashboard", "region", "The region filter applied, if any."),
    ("Dashboard", "year", "The year filter applied, if any."),
    (
        "IndicatorSetSummary",
        "industry",
        "The industry family the set is for (manufacturing).",
    ),
    (
        "IndicatorSetSummary",
        "source",
        "The publication the set reproduces.",
    ),
    ("PoolSpec", "source", "Where the money comes from."),
    ("PoolView", "source", "Where the money comes from."),
    (
        "TargetSpec",
        "source",
        "Where the target is set (seed file and clause, e.g. `004 附件2`).",
    ),
    (
        "TargetView",
        "source",
        "Where the target is set (seed file and clause).",
    ),
    (
        "PolicySpec",
        "note",
        "Where the rules come from and anything a reader should know.",
    ),
    (
        "ProductView",
        "industries",
        "Industry codes the product serves.",
    ),
    (
        "ProgramPack",
        "industries",
        "The industry segments (细分行业) of the programme.",
    ),
    (
        "ProgramPack",
        "regions",
        "The regions (区县/园区) of the programme.",
    ),
    (
        "ProgramPack",
        "batches",
        "The batches (批次) of the programme.",
    ),
    (
        "ProgramPack",
        "description",
        "What the programme is, in a paragraph.",
    ),
    ("EventView", "event", "The event as recorded."),
    (
        "FinanceProductView",
        "product",
        "The finance product as recorded.",
    ),
    ("ProjectRecord", "project", "The project."),
    ("Dossier", "enterprise", "The enterprise's profile."),
    (
        "ProjectView",
        "satisfaction",
        "The enterprise's rating of the provider, once given at acceptance.",
    ),
    (
        "TransitionRequest",
        "satisfaction",
        "The enterprise's rating of the provider (with `record_acceptance`).",
    ),
    ("OperationsView", "code", "The operations group's code."),
    (
        "ScenarioCountView",
        "level",
        "The level these counts are for.",
    ),
    (
        "LevelGapsView",
        "level",
        "The next level, whose gaps are listed.",
    ),
    ("LevelRuleView", "level", "The level the rule grants."),
    (
        "DashboardRow",
        "colour",
        "Against the pace of the period: green, yellow, red; null where no pace applies.",
    ),
    (
        "DashboardRow",
        "actual",
        "The metric's value now, in its unit.",
    ),
    (
        "DashboardRow",
        "unit",
        "The unit of `actual` and `target`: `count`, `share_bp` (basis points) or `amount_fen` (fen).",
    ),
    (
        "IndicatorReading",
        "colour",
        "The indicator's colour, or null where it does not apply.",
    ),
    (
        "ProjectMonitor",
        "overall",
        "The worst colour of the project's indicators.",
    ),
    (
        "ProjectMonitor",
        "indicators",
        "The project's indicators with their colours.",
    ),
];

/// Field names with one meaning wherever they appear.
const FIELDS: &[(&str, &str)] = &[
    (
        "above_designated_size",
        "An above-designated-size industrial enterprise (规模以上工业企业, 规上).",
    ),
    (
        "acceptance_ends_on",
        "The last day of the batch's acceptance window (验收).",
    ),
    (
        "acceptance_points",
        "Ranking points for acceptances passed.",
    ),
    (
        "acceptances_passed",
        "Projects of the provider that passed acceptance.",
    ),
    ("action", "The action."),
    (
        "active",
        "Whether it is in use; an inactive user cannot log in.",
    ),
    ("active_projects", "Projects of the provider under way."),
    ("actor_id", "The user who took the step."),
    (
        "actor_name",
        "The display name of the user who took the step.",
    ),
    (
        "actor_user_id",
        "The user who did it (null for the system).",
    ),
    ("actual", "The value reached, in the metric's unit."),
    ("after", "The value after."),
    (
        "algorithm",
        "How the draw is computed from the seed (published, so anyone can recompute it).",
    ),
    ("amount_fen", "An amount in fen (分; 100 fen = 1 yuan)."),
    (
        "applications_close_on",
        "The last day the batch takes applications (申报).",
    ),
    (
        "applications_open_on",
        "The first day the batch takes applications (申报).",
    ),
    ("approved_at", "When finance approved it."),
    ("approved_by", "The finance user who approved it."),
    ("approved_fen", "Subsidy approved so far, in fen."),
    ("as_of", "The day the figures are computed for."),
    ("assigned_by", "The user who made the assignment."),
    ("at", "When it happened (RFC 3339, UTC)."),
    ("atomic", "Whether the import was all or nothing."),
    ("attempts", "Delivery attempts so far."),
    (
        "audited_line_items",
        "The line items as the auditor verified them (审计): the eligible investment the subsidy is paid on.",
    ),
    (
        "awards",
        "The awards of the policy: fixed, per unit, up to a maximum, tiered by a figure, per period, or in instalments.",
    ),
    ("batch_id", "The batch (批次)."),
    ("batches", "Batches."),
    ("before", "The value before."),
    (
        "binding_gate",
        "Which rule held the level down: the points, the scenarios, both, or none.",
    ),
    (
        "bound_by",
        "What limited the amount: the level, the rate, the level's cap or the enterprise's cap.",
    ),
    ("by_batch", "Colours per batch."),
    ("by_provider", "Colours per provider."),
    ("by_region", "Colours per region."),
    ("cap_fen", "The most that is paid, in fen."),
    (
        "capacity",
        "How many projects the batch takes (null: no limit).",
    ),
    ("category", "The expense category of the line item."),
    (
        "chain_master",
        "A chain-master enterprise (链主企业) leading its supply chain's transformation.",
    ),
    ("city", "The city running the programme."),
    (
        "cloud_adopted",
        "Whether the enterprise uses cloud services (上云用云).",
    ),
    ("code", "The object's stable code."),
    ("colour", "Red, yellow or green (红黄绿)."),
    (
        "column",
        "The column as the file names it (null for the whole row).",
    ),
    ("comment", "A remark."),
    (
        "committed_at",
        "When the change was committed (RFC 3339, UTC).",
    ),
    (
        "comparison",
        "Before and after: levels, points and the gain per dimension (改造前后对比).",
    ),
    (
        "consortium",
        "The consortium (联合体) the provider serves an industry in, and its lead.",
    ),
    (
        "constraint_scenarios",
        "Scenarios at the level counted among the constraint scenarios.",
    ),
    (
        "constraint_scenarios_short",
        "Constraint scenarios still missing for the next level.",
    ),
    ("contact_name", "The contact person."),
    ("contact_phone", "The contact's phone number."),
    (
        "content",
        "The plan's content: what will be transformed and how.",
    ),
    (
        "contracts",
        "Contracts the provider signed in the programme.",
    ),
    ("contracts_points", "Ranking points for contracts."),
    ("created", "Rows created (for a dry run: that would be)."),
    ("created_at", "When it was created (RFC 3339, UTC)."),
    ("created_by", "The user who created it."),
    (
        "cumulative",
        "Whether the target counts everything since the programme started (not only its year).",
    ),
    ("decision_id", "The subsidy decision."),
    (
        "delivered_at",
        "When the receiver acknowledged the delivery.",
    ),
    (
        "delivery_id",
        "The delivery; the same on every retry, for the receiver to deduplicate.",
    ),
    ("delta", "The change in points."),
    ("deployment", "How the product is deployed."),
    ("description", "A description in words."),
    ("detail", "Details."),
    ("dimensions", "Points per dimension."),
    ("disbursed_fen", "Paid out so far, in fen."),
    ("disbursements", "Payments."),
    ("display_name", "The name shown for the user."),
    ("documents", "Documents on file."),
    (
        "drawn",
        "The projects drawn, each with the inspector drawn for it.",
    ),
    ("dry_run", "Whether this was a dry run (nothing written)."),
    ("edition", "The edition of the indicator set."),
    (
        "effective_from",
        "The first day the policy version applies.",
    ),
    (
        "effective_to",
        "The last day it applies (null: until a later version).",
    ),
    (
        "eligible_categories",
        "The expense categories counted as eligible investment.",
    ),
    ("eligible_fen", "The eligible investment, in fen."),
    ("employees", "Number of employees."),
    ("ends_on", "The last day (inclusive)."),
    ("enterprise", "The enterprise."),
    (
        "enterprise_cap_fen",
        "The most an enterprise is paid in the programme, in fen (null: no cap).",
    ),
    ("enterprise_id", "The enterprise (企业)."),
    ("errors", "One entry per failed row or cell."),
    ("event", "The event."),
    (
        "event_type",
        "The change event's type: `<object_type>.<create|update|tombstone>`.",
    ),
    (
        "event_types",
        "Event types to receive: `*`, `<object_type>.*` or `<object_type>.<op>`.",
    ),
    (
        "evidence_document_ids",
        "Documents of the project that evidence the report.",
    ),
    (
        "exclusive",
        "Whether choosing this option excludes the others.",
    ),
    ("expires_at", "When it expires (null: never)."),
    ("explanation", "How the amount was reached, step by step."),
    ("failed", "Rows that failed."),
    ("filename", "The file's name as uploaded."),
    ("findings", "The findings recorded."),
    ("from", "The state before."),
    (
        "generated_at",
        "When this was put together (RFC 3339, UTC).",
    ),
    ("goals", "What the transformation is to achieve."),
    ("grade", "The grade the pilot office gave the provider."),
    ("grants", "The user's role grants, each with its scope."),
    ("green", "Items that are green."),
    ("group", "The group the item belongs to."),
    ("groups", "The groups of the dimension."),
    ("held_on", "The day the event was held."),
    ("history", "Every transition."),
    ("id", "The object's id (a UUID v7, ordered by creation)."),
    (
        "implementation_ends_on",
        "The last day of the batch's implementation window (改造实施).",
    ),
    ("indicator", "The indicator."),
    (
        "indicator_set",
        "The indicator set the answers are scored against.",
    ),
    ("indicators", "Indicators."),
    ("industries", "Industries."),
    ("industry", "The industry."),
    (
        "industry_code",
        "An industry segment of the programme (细分行业).",
    ),
    ("innovative", "An innovative SME (创新型中小企业)."),
    ("inspector_id", "The inspector drawn."),
    (
        "institution",
        "The financial institution offering the product.",
    ),
    ("items", "The items of this page."),
    ("key", "The key."),
    (
        "kind",
        "The kind (the enum lists the values and their meanings).",
    ),
    ("kinds", "Document kinds."),
    ("last_attempt_at", "When delivery was last attempted."),
    (
        "last_duration_ms",
        "How long the last attempt took, in milliseconds.",
    ),
    (
        "last_good_hash",
        "The hash of the last entry before the first break (or of the last entry).",
    ),
    ("launched_on", "The day the product was launched."),
    ("level", "A digital level (数字化水平等级), 1 to 4."),
    ("level_after", "The level at acceptance (验收, 改造后)."),
    ("level_before", "The level at the diagnosis (诊断, 改造前)."),
    ("level_gain", "Levels gained."),
    ("line_items", "The investment by line item."),
    (
        "little_giant",
        "A specialised 'little giant' (专精特新“小巨人”).",
    ),
    (
        "local",
        "Whether the provider is local to the programme's province (本地服务商).",
    ),
    ("max_points", "The most points there are."),
    (
        "mean_satisfaction",
        "The mean satisfaction rating (1 to 5).",
    ),
    (
        "media_type",
        "The file's media type, checked against its content.",
    ),
    ("message", "A message."),
    ("metric", "The metric (指标)."),
    (
        "metric_name",
        "The metric's Chinese name as the seeds write it.",
    ),
    ("milestone", "The milestone reached."),
    (
        "min_constraint_scenarios",
        "Constraint scenarios the level needs.",
    ),
    ("min_points", "Points the level needs."),
    ("min_scenarios", "Scenarios the level needs."),
    ("name", "The name."),
    ("name_zh", "The Chinese name."),
    ("next_actions", "The actions the caller may take now."),
    ("next_attempt_at", "When delivery is next attempted."),
    ("next_level_gaps", "What is missing for the next level."),
    ("next_statuses", "The statuses the entry may move to now."),
    ("nominated_by", "The user who nominated it."),
    ("note", "A note."),
    ("number", "The batch's number in the programme (1, 2, …)."),
    ("object_id", "The object's id."),
    ("object_type", "The object's type."),
    (
        "op",
        "The operation: create, update or tombstone (removal).",
    ),
    ("options", "The options of the question."),
    ("outcome", "The outcome of the check."),
    ("overall", "The overall colour."),
    (
        "overrun_fen",
        "How far approvals went beyond the cap, in fen (0 when within).",
    ),
    ("owner_user_id", "The user the webhook belongs to."),
    ("paid_on", "The day it was paid."),
    ("parent_code", "The region it lies in (null at the top)."),
    ("participants", "Number of participants."),
    ("parts", "How many parts the total has."),
    ("password", "A password: 12 to 256 characters."),
    ("purpose", "What the money is for (资金用途)."),
    (
        "weighting",
        "How the candidates are weighed: uniform, risk (1 + risk score) or stratified.",
    ),
    (
        "earmarks",
        "Minimum shares of a source's money per purpose, each checked.",
    ),
    ("lines", "Lines of a table."),
    (
        "rate_kind",
        "maximum (不超过: the city may approve a lower rate) or fixed (the rate is what is paid).",
    ),
    (
        "payee",
        "Who is paid: on a policy or award the kind (enterprise, provider, chain_master), on a decision the name.",
    ),
    ("percent", "Progress in percent (0–100)."),
    ("plan", "The transformation plan (改造方案)."),
    ("points", "Points."),
    ("points_short", "Points still missing for the next level."),
    ("policy_version", "The policy version applied."),
    ("pool_id", "The budget pool (资金池) paid from."),
    ("population", "Which projects may be drawn."),
    ("price_fen", "The listed price, in fen."),
    ("product", "The product."),
    ("product_id", "The product."),
    ("program_id", "The pilot programme (试点)."),
    ("progress_percent", "Progress reported last, in percent."),
    ("progress_reports", "Progress reports."),
    ("project", "The project."),
    ("project_id", "The transformation project (改造项目)."),
    ("provider_id", "The service provider (服务商)."),
    ("province", "The province or autonomous region."),
    ("questions", "The questions of the indicator."),
    ("rank", "Place in the ranking (1 is best)."),
    (
        "rate_bp",
        "A rate in basis points (1 bp = 0.01%; 5000 = 50%).",
    ),
    ("ratings", "Satisfaction ratings received."),
    ("reason", "Why."),
    ("received", "Rows received."),
    ("received_fen", "Paid to the enterprise so far, in fen."),
    (
        "recorded_actual",
        "A value recorded for a metric the server cannot count itself.",
    ),
    ("recorded_by", "The user who recorded it."),
    (
        "rectification_deadline",
        "The day by which a failed acceptance must be rectified (限期整改).",
    ),
    ("red", "Items that are red."),
    ("red_points", "Ranking points deducted for red projects."),
    ("red_projects", "Projects of the provider that are red."),
    ("reference", "The payment's reference (voucher number)."),
    (
        "refresh_token",
        "The refresh token from the login or the last refresh.",
    ),
    ("region", "The region."),
    ("region_code", "A region of the programme (区县/园区)."),
    ("region_codes", "Regions of the programme."),
    ("regions", "Regions."),
    ("reported_by", "The user who reported it."),
    ("reported_on", "The day it was reported."),
    ("requirements", "Document requirements per project action."),
    ("revenue_fen", "Annual revenue, in fen."),
    ("revoked_at", "When it was revoked (null while valid)."),
    ("role", "A role (DOMAIN.md §2)."),
    ("rule", "The rule applied at this step."),
    ("sample_size", "How many projects to draw."),
    ("satisfaction", "A satisfaction rating."),
    (
        "satisfaction_average",
        "The mean satisfaction rating (1 to 5).",
    ),
    ("satisfaction_points", "Ranking points for satisfaction."),
    ("scenario_counts", "Scenarios reached per level."),
    (
        "scenario_levels",
        "The level reached per business scenario.",
    ),
    ("scenarios", "Business scenarios (业务场景), SCORING.md §2."),
    (
        "scenarios_short",
        "Scenarios still missing for the next level.",
    ),
    ("score", "A score."),
    (
        "secret",
        "The HMAC-SHA256 signing secret (16 to 256 characters); never shown again.",
    ),
    ("seq", "The sequence number: the order of commits."),
    ("size_bytes", "The file's size in bytes."),
    ("size_class", "The enterprise's size class (企业规模)."),
    ("source", "Where it comes from."),
    ("specialised", "A specialised SME (专精特新中小企业)."),
    ("specialty", "The provider's service category (服务类别)."),
    ("spot_check_id", "The spot check (抽查)."),
    ("starts_on", "The first day."),
    (
        "state",
        "The state (the enum lists the values and their meanings).",
    ),
    (
        "status",
        "The status (the enum lists the values and their meanings).",
    ),
    (
        "subject_id",
        "The enterprise, provider or product nominated.",
    ),
    ("subsidy_decision", "The subsidy decision."),
    ("subsidy_fen", "The subsidy, in fen."),
    (
        "subsidy_quote",
        "What the rules pay for the project now, explained.",
    ),
    ("sum_of_parts", "What the parts add up to."),
    ("terms", "The policy's terms as authored."),
    ("text", "The text in English."),
    ("text_zh", "The text in Chinese."),
    (
        "tier",
        "The enterprise's tier in the programme (储备库/试点库/示范库).",
    ),
    ("title", "A title."),
    ("to", "The state after."),
    ("token_type", "Always `Bearer`."),
    ("total", "The total."),
    ("total_points_after", "Points at acceptance."),
    ("total_points_before", "Points at the diagnosis."),
    ("total_points_delta", "Points gained."),
    ("unchanged", "Rows already as sent."),
    ("unit", "The unit."),
    ("updated", "Rows changed (for a dry run: that would be)."),
    ("updated_at", "When it last changed (RFC 3339, UTC)."),
    ("uploaded_by", "The user who uploaded it."),
    ("url", "The https URL deliveries are POSTed to."),
    (
        "uscc",
        "The unified social credit code (统一社会信用代码, 18 characters, GB 32100-2015).",
    ),
    ("user_id", "The user."),
    (
        "username",
        "The login name: letters, digits, '.', '-' and '_'.",
    ),
    (
        "value",
        "The target value in the metric's unit: a count, basis points for shares, fen for amounts.",
    ),
    (
        "version",
        "The object's version: its `ETag`, to send as `If-Match` when changing it.",
    ),
    ("webhook_id", "The webhook."),
    ("year", "The year."),
    ("yellow", "Items that are yellow."),
];

/// Query and path parameters by name, where they mean more than the field
/// of the same name (FIELDS covers the rest).
const PARAMETERS: &[(&str, &str)] = &[
    ("flag", "Only projects with this risk flag."),
    (
        "limit",
        "Page size, 1 to 500 (default 50; the feed defaults to 100).",
    ),
    (
        "cursor",
        "`next_cursor` of the previous page, unchanged; omit for the first page. Anything else is 400 `malformed_cursor`.",
    ),
    (
        "mode",
        "`upsert` changes rows whose key exists and adds the rest; `insert` only adds (an existing key is a row error).",
    ),
    (
        "report",
        "`json` (default) answers the import report; `xlsx` answers the submitted rows as a workbook with 状态 and 错误原因 columns, to fix and send again as it is.",
    ),
    (
        "format",
        "`json` (default) or `zip` (the JSON and every document file).",
    ),
    (
        "program_id",
        "Only objects of this programme (试点): its id or its code (`yinchuan`).",
    ),
    (
        "region_code",
        "Only objects in this region of the programme (区县/园区).",
    ),
    (
        "industry_code",
        "Only objects in this industry segment of the programme (细分行业).",
    ),
    ("batch_id", "Only projects of this batch (批次)."),
    ("enterprise_id", "Only objects of this enterprise."),
    ("provider_id", "Only objects of this provider."),
    (
        "above_designated_size",
        "Only enterprises above (true) or below (false) designated size (规上/规下).",
    ),
    (
        "specialised",
        "Only specialised SMEs (专精特新), or only the others.",
    ),
    (
        "little_giant",
        "Only little giants (小巨人), or only the others.",
    ),
    (
        "tier",
        "Only enterprises of this tier (储备库/试点库/示范库).",
    ),
    ("deployment", "Only products deployed this way."),
    ("kind", "Only objects of this kind."),
    ("status", "Only objects in this status."),
    ("state", "Only projects in this state."),
    ("colour", "Only projects of this colour."),
    ("object_type", "Only entries about this object type."),
    ("object_id", "Only entries about this object."),
    ("dry_run", "Check and report without writing anything."),
];

/// What each schema is, where its type has no doc comment.
const SCHEMAS: &[(&str, &str)] = &[
    (
        "AssessmentRequest",
        "Answers to score and record as an assessment (or only score, with `dry_run`).",
    ),
    (
        "AssignmentSpec",
        "Whom to assign to a project, in which role, until when.",
    ),
    (
        "AssignmentView",
        "An evaluator, auditor or expert assigned to a project.",
    ),
    ("AuditEntryView", "An entry of the hash-chained audit log."),
    (
        "AwardQuoteSpec",
        "What to quote an award for: the rule and the inputs its kind reads.",
    ),
    (
        "AwardQuoteView",
        "What an award pays, explained step by step.",
    ),
    (
        "AwardRequest",
        "An award of the policy to propose as a decision.",
    ),
    (
        "BatchExtensionRequest",
        "New, later dates for a batch and why.",
    ),
    (
        "BatchTransitionRequest",
        "The action that moves a batch on.",
    ),
    (
        "BatchView",
        "A batch (批次) with its windows, state and the actions that move it on.",
    ),
    (
        "BenchmarkView",
        "A benchmark nomination (标杆) and its status.",
    ),
    (
        "ChainVerification",
        "The result of recomputing the audit log's hash chain.",
    ),
    ("CreateApiTokenRequest", "An API token to create."),
    ("CreateFinding", "The outcome of checking a drawn project."),
    (
        "CreateSpotCheck",
        "A spot check to draw: population, sample size, inspectors and the seed.",
    ),
    ("CreateUserRequest", "A user to create, with their grants."),
    ("CreateWebhookRequest", "A webhook to subscribe."),
    (
        "Dashboard",
        "The programme's targets with their actuals and colours.",
    ),
    (
        "DecideBenchmark",
        "The status a benchmark nomination moves to.",
    ),
    ("DecisionSpec", "A subsidy decision to propose."),
    (
        "DecisionView",
        "A subsidy decision (奖补决定): proposed, then approved by finance, then paid.",
    ),
    (
        "DimensionScoreView",
        "Points of one dimension of an assessment.",
    ),
    ("DimensionView", "A dimension of an indicator set."),
    (
        "DisbursementSpec",
        "A payment to record against an approved decision.",
    ),
    ("DisbursementView", "A payment (拨付) against a decision."),
    ("DocumentView", "A document attached to a project."),
    (
        "Dossier",
        "An enterprise's dossier (一企一档): everything on file that the caller may read.",
    ),
    (
        "DrawnView",
        "A project drawn in a spot check, with its inspector.",
    ),
    (
        "EnterpriseView",
        "An enterprise (企业) with its enrolment in a programme.",
    ),
    ("EventSpec", "An event to record."),
    ("EventView", "A matchmaking event (供需对接) or training."),
    ("FinanceProductSpec", "A finance product to record."),
    (
        "FinanceProductView",
        "A digital-transformation finance product.",
    ),
    ("FindingView", "The outcome of checking one drawn project."),
    ("GroupScoreView", "Points of one group of an assessment."),
    ("GroupView", "A group of indicators in a dimension."),
    ("Health", "Liveness."),
    ("ImportRowError", "A failed row (or cell) of an import."),
    (
        "IndicatorScoreView",
        "Points of one indicator of an assessment.",
    ),
    (
        "IndicatorView",
        "An indicator with its questions and options.",
    ),
    ("IndustrySpec", "An industry segment to add to a programme."),
    (
        "IndustryView",
        "An industry segment (细分行业) of a programme.",
    ),
    ("LevelRuleView", "What a digital level needs (SCORING.md)."),
    (
        "LevelTermsSpec",
        "A policy's terms for one acceptance level.",
    ),
    ("LibraryApplication", "A product to submit to the library."),
    ("LineItemSpec", "A line item of investment."),
    (
        "MonitoringReport",
        "Red/yellow/green monitoring of a programme's projects.",
    ),
    ("MonitoringSettingsRequest", "Monitoring thresholds to set."),
    ("NominateBenchmark", "A benchmark nomination."),
    (
        "OperationsView",
        "A group of business operations in an indicator set.",
    ),
    ("OptionView", "An answer option of a question."),
    ("PoolApplication", "A provider's application to the pool."),
    ("PoolSpec", "A budget pool to create."),
    ("ProductView", "A product or solution (小快轻准)."),
    ("ProgramView", "A pilot programme (试点)."),
    ("ProgressSpec", "A progress report to file."),
    ("ProgressView", "A progress report."),
    ("ProjectApplication", "A project to apply for."),
    (
        "ProjectMonitor",
        "A project's monitoring indicators and colours.",
    ),
    (
        "ProjectView",
        "A transformation project (改造项目) with its plan, levels and subsidy.",
    ),
    (
        "ProjectRiskView",
        "A project's risk score and its flags with their evidence.",
    ),
    (
        "StratumView",
        "A stratum of a spot check's draw with each candidate's weight.",
    ),
    ("ProviderRanking", "Providers ranked (赛马)."),
    ("ProviderView", "A service provider (服务商)."),
    ("QuestionView", "A question of an indicator."),
    (
        "FundComplianceView",
        "Money by source and purpose with the earmarks checked.",
    ),
    ("FundSums", "Allocated, committed and disbursed money."),
    ("FundLine", "A source's money, or one purpose of it."),
    (
        "EarmarkView",
        "An earmark of the programme against the figures.",
    ),
    ("QuoteSpec", "What to quote a subsidy for."),
    ("QuoteView", "What the rules pay, explained step by step."),
    ("RiskFlagView", "A risk flag: what it points at and why."),
    (
        "WeightedCandidate",
        "A candidate of a stratum and its weight.",
    ),
    ("RefreshRequest", "A refresh token to exchange."),
    ("RegionSpec", "A region to add to a programme."),
    ("RegionView", "A region (区县/园区) of a programme."),
    (
        "Requirements",
        "Which document kinds each project action needs.",
    ),
    ("SatisfactionSpec", "A satisfaction rating of the provider."),
    ("SatisfactionView", "A satisfaction rating."),
    ("ScenarioView", "A business scenario (业务场景)."),
    ("StepView", "One step of a subsidy's explanation."),
    ("TokenRequest", "Credentials to log in with."),
    ("TokenResponse", "An access token and a refresh token."),
    ("TransitionView", "One step of a project's history."),
    ("UpdateProgramRequest", "Programme fields to change."),
    ("UpdateUserRequest", "User fields to change."),
    ("UpdateWebhookRequest", "Webhook fields to change."),
    ("UserView", "A user with their grants."),
];

/// Describes every undescribed schema and field from the glossary.
pub fn describe(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    for (name, schema) in schemas.iter_mut() {
        // The variants of a oneOf (an award's kinds) are described as its own.
        if let RefOr::T(Schema::OneOf(one)) = schema {
            for variant in one.items.iter_mut() {
                if let RefOr::T(Schema::Object(object)) = variant {
                    describe_fields(name, object);
                }
            }
            continue;
        }
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        if object.description.is_none() {
            object.description = match name.strip_prefix("List_") {
                Some(item) => Some(format!(
                    "A page of `{item}`: `items` and `next_cursor` (null on the last page)."
                )),
                None => SCHEMAS
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, d)| (*d).to_owned()),
            };
        }
        describe_fields(name, object);
    }
}

/// Describes the undescribed fields of `schema`'s object.
fn describe_fields(schema: &str, object: &mut utoipa::openapi::schema::Object) {
    for (field, property) in object.properties.iter_mut() {
        let meaning = IN_SCHEMA
            .iter()
            .find(|(s, f, _)| *s == schema && f == field)
            .map(|(_, _, d)| *d)
            .or_else(|| FIELDS.iter().find(|(f, _)| f == field).map(|(_, d)| *d));
        if let Some(meaning) = meaning {
            describe_property(property, meaning);
        }
    }
}

/// Describes a parameter that has none: by its name among the
/// parameters, else among the fields.
pub fn describe_parameter(parameter: &mut utoipa::openapi::path::Parameter) {
    if parameter
        .description
        .as_deref()
        .is_some_and(|d| !d.is_empty())
    {
        return;
    }
    let name = parameter.name.as_str();
    parameter.description = PARAMETERS
        .iter()
        .chain(FIELDS)
        .find(|(n, _)| *n == name)
        .map(|(_, d)| (*d).to_owned());
}

/// Sets the description of a property that has none (a reference carries
/// its own beside `$ref`, as OpenAPI 3.1 allows).
fn describe_property(property: &mut RefOr<Schema>, meaning: &str) {
    match property {
        RefOr::Ref(r) if r.description.is_empty() => r.description = meaning.to_owned(),
        RefOr::T(Schema::Object(o)) if o.description.is_none() => {
            o.description = Some(meaning.to_owned())
        }
        RefOr::T(Schema::Array(a)) if a.description.is_none() => {
            a.description = Some(meaning.to_owned())
        }
        RefOr::T(Schema::OneOf(o)) if o.description.is_none() => {
            o.description = Some(meaning.to_owned())
        }
        RefOr::T(Schema::AllOf(o)) if o.description.is_none() => {
            o.description = Some(meaning.to_owned())
        }
        _ => {}
    }
}

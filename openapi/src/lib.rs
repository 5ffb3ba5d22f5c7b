//! The OpenAPI contract of Shuzhuan.
//!
//! This crate owns the document's frame (info, tags, security schemes) and
//! the committed `openapi.json`. The paths and schemas are collected from
//! the handlers themselves by the API crate, which depends on this one
//! (never the other way), so the document cannot drift from the routes;
//! `make openapi` rewrites the committed file and a test fails when the
//! served document differs from it.

mod glossary;

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};

/// The committed contract, as `make openapi` last wrote it.
pub const COMMITTED: &str = include_str!("../openapi.json");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shuzhuan (数转) API",
        version = "1.0.0",
        description = "API of the SME digital-transformation city pilot (中小企业数字化转型城市试点): \
programmes, enterprises, providers, products, projects, scoring, subsidies, monitoring and sync, for \
portals, the national public-service platform and officials' spreadsheets.\n\n\
**Authentication.** `Authorization: Bearer <token>` with an access JWT from `POST /api/v1/auth/token` \
(refresh it with `POST /api/v1/auth/refresh`) or an API token (`szt_…`) from `POST /api/v1/api-tokens`. \
Each operation says who may call it: roles (DOMAIN.md §2) within the scope of their grant. An object \
outside your scope is 404; a missing right is 403, checked before anything about the object is revealed.\n\n\
**Errors.** RFC 9457 `application/problem+json` with a stable top-level `code` (docs/ERRORS.md lists \
them all), `detail`, `request_id` to quote, and for `validation_failed` one `errors[]` entry per field \
(`field`, `code`, `message`). A lost or busy database is 503 with `Retry-After`.\n\n\
**Languages.** `Accept-Language: zh-CN` gives every title, detail and message in Chinese; English is \
the default. Codes never change with the language.\n\n\
**Lists.** Every collection answers `{items, next_cursor}`; pass `?limit=` (1 to 500, default 50) and \
`?cursor=` with the `next_cursor` of the previous page (opaque; null on the last page; one the list did \
not give out is 400 `malformed_cursor`). The change feed's cursor is a sequence number and never ends.\n\n\
**Versions and caching.** Single objects carry `version` and an `ETag`; writes to them need `If-Match` \
with the ETag you read, or `*` (428 without, 412 when stale). Reads with an `ETag` answer \
`If-None-Match` with 304; `HEAD` works wherever `GET` does; `Accept-Encoding: gzip, br or zstd` \
compresses. A 201 names the created object in `Location`, which a GET reads.\n\n\
**Money and units.** Amounts are integers in fen (分; 100 fen = 1 yuan, `*_fen`); rates and shares in \
basis points (`*_bp`, 5000 = 50%); times RFC 3339 in UTC; dates ISO 8601.\n\n\
**Versioning.** Paths carry the major version (`/api/v1`); within it fields and operations are only \
added, never removed or changed in meaning. The change feed and webhooks carry the same views.",
        license(name = "MIT")
    ),
    tags(
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "auth", description = "Login, token refresh, the caller, API tokens"),
        (name = "users", description = "Users and their role grants (platform_admin)"),
        (name = "programs", description = "Pilot programmes (试点) with regions, industries and batches"),
        (name = "enterprises", description = "Enterprises (企业, 一企一档), by id or by unified social credit code"),
        (name = "providers", description = "Service providers (服务商) and each programme's provider pool (资源池)"),
        (name = "products", description = "Products and solutions (小快轻准) and each programme's product library (产品库)"),
        (name = "assessments", description = "The MIIT indicator catalogue and digital-level assessments (数字化水平评测)"),
        (name = "projects", description = "Transformation projects (改造项目): application, plan, transitions, history, progress, documents, assignments"),
        (name = "subsidy", description = "Subsidy policies, quotes, awards, budget pools, decisions and disbursements (奖补)"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "monitoring", description = "Targets (目标), the dashboard, red/yellow/green monitoring, spot checks (双随机、一公开) and the provider ranking (赛马)"),
        (name = "evaluations", description = "Self-evaluation reports (绩效自评): issued by the pilot office, frozen with their hash in the audit chain, corrected by numbered versions"),
        (name = "promotion", description = "Benchmarks (标杆), events (供需对接, training) and finance products"),
        (name = "sync", description = "The change feed, webhooks and the dossier for the national platform"),
    ),
    modifiers(&BearerAuth)
)]
struct Frame;

/// Declares the one security scheme every protected operation names.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API token")
                    .description(Some(
                        "An access JWT from POST /api/v1/auth/token, or an API token (szt_…) from POST /api/v1/api-tokens.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame the API crate fills with its paths and schemas.
pub fn frame() -> utoipa::openapi::OpenApi {
    Frame::openapi()
}

/// The operations of a path with their HTTP methods (upper case).
pub fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

/// Adds the responses every operation can give by the API's conventions,
/// so each handler documents only its own: 400, 413 and 415 where there is
/// a body, 422 where there is input, 401 where a token is required, 404
/// where the path names an object, 412 and 428 where `If-Match` is taken,
/// and 503 everywhere but liveness and metrics (the database away or busy,
/// the instance overloaded, starting or shutting down).
pub fn finish(mut doc: utoipa::openapi::OpenApi, example: &Example) -> utoipa::openapi::OpenApi {
    let codes = problem_codes();
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_object = path.contains('{');
        let always_answers = matches!(path.as_str(), "/healthz" | "/metrics");
        if let Some(get) = &mut item.get {
            digest_etag(get);
        }
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let has_body = op.request_body.is_some();
            let has_cursor = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.name == "cursor"));
            let has_input = has_body || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let if_match = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.name == "If-Match"));
            if has_body || has_cursor {
                add_problem(op, "400");
            }
            if has_body {
                add_problem(op, "413");
                unsupported_media_type(op);
            }
            if has_input || has_body {
                add_problem(op, "422");
            }
            if secured {
                add_problem(op, "401");
                add_problem(op, "403");
            }
            if names_object {
                add_problem(op, "404");
            }
            if if_match {
                add_problem(op, "400");
                add_problem(op, "412");
                add_problem(op, "428");
            }
            if op
                .responses
                .responses
                .get("200")
                .is_some_and(|r| matches!(r, RefOr::T(r) if r.headers.contains_key("ETag")))
            {
                conditional(op);
            }
            if !always_answers {
                add_problem(op, "503");
            }
            describe_responses(op, &codes, example);
            // Paths and query strings are checked for control characters
            // (headers cannot carry most of them anyway).
            for parameter in op.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    glossary::describe_parameter(parameter);
                }
                if let RefOr::T(parameter) = parameter
                    && !matches!(parameter.parameter_in, ParameterIn::Header)
                    && let Some(schema) = &mut parameter.schema
                {
                    forbid_control(schema, PLAIN_TEXT);
                }
            }
            if let Some(RefOr::T(body)) = &mut op.request_body {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = &mut content.schema
                    {
                        forbid_control(schema, BODY_TEXT);
                    }
                }
            }
        }
    }
    if let Some(components) = &mut doc.components {
        link_list_items(&mut components.schemas);
        glossary::describe(&mut components.schemas);
        for status in STATUSES {
            components.responses.insert(
                response_name(status).to_owned(),
                shared_problem(status, &codes, example).into(),
            );
        }
    }
    let bodies = request_schemas(&doc);
    if let Some(components) = &mut doc.components {
        for (name, schema) in components.schemas.iter_mut() {
            if bodies.contains(name) {
                forbid_control(schema, BODY_TEXT);
            }
        }
    }
    doc
}

/// A page `List_X` refers to its item schema `X` rather than a copy of it,
/// so a generated client reads the same type from a list as from a single
/// read.
fn link_list_items(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>) {
    let names: std::collections::BTreeSet<String> = schemas.keys().cloned().collect();
    for (name, schema) in schemas.iter_mut() {
        let Some(item) = name.strip_prefix("List_") else {
            continue;
        };
        if !names.contains(item) {
            continue;
        }
        if let RefOr::T(Schema::Object(page)) = schema
            && let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items")
        {
            items.items = ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name(item).into()));
        }
    }
}

/// The component schemas request bodies use, directly or nested.
fn request_schemas(doc: &utoipa::openapi::OpenApi) -> std::collections::BTreeSet<String> {
    let mut todo: Vec<String> = Vec::new();
    for item in doc.paths.paths.values() {
        for (_, op) in operations(item) {
            if let Some(RefOr::T(body)) = &op.request_body {
                for content in body.content.values() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = &content.schema
                    {
                        refs(schema, &mut todo);
                    }
                }
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    let schemas = doc.components.as_ref().map(|c| &c.schemas);
    while let Some(name) = todo.pop() {
        if found.insert(name.clone())
            && let Some(schema) = schemas.and_then(|s| s.get(&name))
        {
            refs(schema, &mut todo);
        }
    }
    found
}

/// The component names `schema` refers to.
fn refs(schema: &RefOr<Schema>, out: &mut Vec<String>) {
    match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                out.push(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(object)) => {
            object.properties.values().for_each(|p| refs(p, out));
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &array.items {
                refs(items, out);
            }
        }
        RefOr::T(Schema::OneOf(one)) => one.items.iter().for_each(|s| refs(s, out)),
        RefOr::T(Schema::AllOf(all)) => all.items.iter().for_each(|s| refs(s, out)),
        RefOr::T(Schema::AnyOf(any)) => any.items.iter().for_each(|s| refs(s, out)),
        RefOr::T(_) => {}
    }
}

/// A JSON read without a version of its own carries the weak `ETag` the
/// server derives from its body.
fn digest_etag(op: &mut Operation) {
    use utoipa::openapi::HeaderBuilder;
    use utoipa::openapi::schema::ObjectBuilder;
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200")
        && ok.content.contains_key("application/json")
    {
        ok.headers.entry("ETag".to_owned()).or_insert_with(|| {
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some(
                    "A weak tag of the body (`W/\"…\"`): send it as `If-None-Match` to get 304 while nothing changed",
                ))
                .build()
                .into()
        });
    }
}

/// A read that carries an `ETag` also answers `If-None-Match` (304).
fn conditional(op: &mut Operation) {
    use utoipa::openapi::path::ParameterBuilder;
    use utoipa::openapi::{Required, schema::ObjectBuilder};
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
        ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "ETags you hold (comma-separated, or `*`): when one is current the answer is \
                 304 with no body",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build(),
    ));
    op.responses
        .responses
        .entry("304".to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("Not modified: the `If-None-Match` ETag is current")
                    .build(),
            )
        });
}

/// Text of paths, query strings and headers: no control characters at all
/// (the server answers 422 `control_character`).
const PLAIN_TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// Text in JSON bodies: tab, line feed and carriage return are text; other
/// control characters are refused.
const BODY_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Says in the contract what the server enforces: free-text strings (no
/// pattern, format or enum of their own) carry a pattern without control
/// characters, so a client (or a fuzzer) knows such text is refused.
fn forbid_control(schema: &mut RefOr<Schema>, pattern: &str) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if is_string
                && object.pattern.is_none()
                && object.format.is_none()
                && object.enum_values.is_none()
            {
                object.pattern = Some(pattern.to_owned());
            }
            for property in object.properties.values_mut() {
                forbid_control(property, pattern);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                forbid_control(items, pattern);
            }
        }
        Schema::OneOf(one) => one
            .items
            .iter_mut()
            .for_each(|s| forbid_control(s, pattern)),
        Schema::AllOf(all) => all
            .items
            .iter_mut()
            .for_each(|s| forbid_control(s, pattern)),
        Schema::AnyOf(any) => any
            .items
            .iter_mut()
            .for_each(|s| forbid_control(s, pattern)),
        _ => {}
    }
}

/// Builds an example problem body: status, code, detail.
pub type Example = dyn Fn(u16, &str, &str) -> serde_json::Value;

/// docs/ERRORS.md, whose problem table the error responses quote.
const ERRORS_MD: &str = include_str!("../../docs/ERRORS.md");

/// A problem code as docs/ERRORS.md lists it.
pub struct ProblemCode {
    pub status: u16,
    pub code: &'static str,
    pub meaning: &'static str,
}

/// The rows of docs/ERRORS.md's problem table (`| 409 | `code` | meaning | 含义 |`).
pub fn problem_codes() -> Vec<ProblemCode> {
    ERRORS_MD
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let status = cells.first()?.strip_prefix("| ")?.parse().ok()?;
            let code = cells.get(1)?.trim_matches('`');
            Some(ProblemCode {
                status,
                code,
                meaning: cells.get(2)?,
            })
        })
        .collect()
}

/// The statuses of shared problem responses, by their component name.
const STATUSES: [&str; 10] = [
    "400", "401", "403", "404", "409", "412", "413", "422", "428", "503",
];

fn response_name(status: &str) -> &'static str {
    match status {
        "400" => "BadRequest",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "NotFound",
        "409" => "Conflict",
        "412" => "PreconditionFailed",
        "413" => "PayloadTooLarge",
        "422" => "UnprocessableContent",
        "428" => "PreconditionRequired",
        _ => "ServiceUnavailable",
    }
}

/// What a status means in this API.
fn meaning(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created; `Location` names it",
        "204" => "Done; no content",
        "304" => "Not modified: the `If-None-Match` ETag is current",
        "400" => "Malformed request: the body, a header or a cursor cannot be read",
        "401" => "Missing, invalid or expired token",
        "403" => "Your roles lack the right (checked before anything about the object is revealed)",
        "404" => "No such object, or it is outside your scope (the two look the same)",
        "409" => "The object's state or the data's rules refuse it; `code` says which",
        "412" => "Stale If-Match: the object has changed since you read it",
        "413" => "The body exceeds the size limit",
        "415" => "The body's media type is not one this operation takes",
        "422" => {
            "Invalid input (`validation_failed`, `errors` names each field the request sent) or a refusal with its own code"
        }
        "428" => "If-Match is required",
        "429" => "Too many attempts; wait `Retry-After` seconds",
        "503" => {
            "The database is unavailable or busy, or this instance is overloaded, starting or shutting down; retry after `Retry-After` seconds"
        }
        _ => "See `code` in the problem body",
    }
}

/// The problem codes of `status`, with their meanings, as a list.
fn code_list(status: u16, codes: &[ProblemCode]) -> String {
    codes
        .iter()
        .filter(|c| c.status == status)
        .map(|c| format!("\n- `{}`: {}", c.code, c.meaning))
        .collect()
}

/// A problem+json body with an example of `code`.
fn problem_content(status: u16, code: &ProblemCode, example: &Example) -> Content {
    let mut content = Content::new(Some(Ref::from_schema_name("Problem")));
    content.example = Some(example(status, code.code, &sentence(code.meaning)));
    content
}

/// A meaning as a sentence: capitalised, with a full stop.
fn sentence(meaning: &str) -> String {
    let mut chars = meaning.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The shared response of a status: what it means here, every code it
/// carries, and an example.
fn shared_problem(
    status: &str,
    codes: &[ProblemCode],
    example: &Example,
) -> utoipa::openapi::Response {
    let n: u16 = status.parse().unwrap_or(500);
    let mut builder = ResponseBuilder::new().description(format!(
        "{}. Codes:{}",
        meaning(status),
        code_list(n, codes)
    ));
    if let Some(first) = codes.iter().find(|c| c.status == n) {
        builder = builder.content(
            "application/problem+json",
            problem_content(n, first, example),
        );
    }
    builder.build()
}

/// Refers to the shared response of `status` unless the route documents
/// its own.
fn add_problem(op: &mut Operation, status: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response_name(status))));
}

/// 415 names the media types this operation's body takes.
fn unsupported_media_type(op: &mut Operation) {
    let Some(RefOr::T(body)) = &op.request_body else {
        return;
    };
    let types: Vec<String> = body.content.keys().map(|t| format!("`{t}`")).collect();
    op.responses
        .responses
        .entry("415".to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(format!(
                        "`unsupported_media_type`: send the body as {}",
                        types.join(" or ")
                    ))
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
        });
}

/// Every response has a description (OpenAPI requires one), and every
/// problem response its example: the code its description names, or the
/// first of its status.
fn describe_responses(op: &mut Operation, codes: &[ProblemCode], example: &Example) {
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(r) = response else { continue };
        if r.description.is_empty() {
            r.description = meaning(status).to_owned();
        }
        let n: u16 = status.parse().unwrap_or(0);
        let named = codes
            .iter()
            .filter(|c| c.status == n)
            .find(|c| r.description.contains(&format!("`{}`", c.code)))
            .or_else(|| codes.iter().find(|c| c.status == n));
        for (media, content) in r.content.iter_mut() {
            if media == "application/problem+json"
                && let RefOr::T(content) = content
                && content.example.is_none()
                && let Some(code) = named
            {
                *content = problem_content(n, code, example);
            }
        }
    }
}

/// The canonical text of a document: pretty JSON with a final newline, as
/// committed.
pub fn render(doc: &utoipa::openapi::OpenApi) -> Result<String, serde_json::Error> {
    doc.to_pretty_json().map(|s| s + "\n")
}

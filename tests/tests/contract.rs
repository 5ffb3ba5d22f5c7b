//! The contract describes everything (issue 18): a generated client and
//! `/docs` explain every operation, parameter, schema and field, and every
//! reference resolves. Read from the document the server serves.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;

fn doc() -> Value {
    serde_json::to_value(shuzhuan_api::openapi()).unwrap()
}

fn has_text(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.trim().is_empty())
}

#[test]
fn every_operation_has_a_summary_a_description_and_described_parameters() {
    let doc = doc();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = format!("{method} {path}");
            if !has_text(&op["summary"]) {
                missing.push(format!("{id}: summary"));
            }
            if !has_text(&op["description"]) {
                missing.push(format!("{id}: description"));
            }
            if !has_text(&op["operationId"]) {
                missing.push(format!("{id}: operationId"));
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if !has_text(&p["description"]) {
                    missing.push(format!("{id}: parameter {}", p["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn every_schema_and_field_is_described() {
    let doc = doc();
    let mut missing = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let variants: Vec<&Value> = match schema["oneOf"].as_array() {
            Some(v) => v.iter().collect(),
            None => vec![schema],
        };
        if !has_text(&schema["description"]) {
            missing.push(name.clone());
        }
        for variant in variants {
            for (field, property) in variant["properties"].as_object().into_iter().flatten() {
                if !has_text(&property["description"]) {
                    missing.push(format!("{name}.{field}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} undescribed: {missing:#?}",
        missing.len()
    );
}

#[test]
fn money_fields_say_fen_and_enums_say_what_their_values_mean() {
    let doc = doc();
    let mut wrong = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            let d = property["description"].as_str().unwrap_or_default();
            if field.ends_with("_fen") && !d.contains("fen") {
                wrong.push(format!("{name}.{field}: {d}"));
            }
        }
        if let Some(values) = schema["enum"].as_array() {
            let d = schema["description"].as_str().unwrap_or_default();
            for v in values {
                if !d.contains(&format!("`{}`", v.as_str().unwrap())) {
                    wrong.push(format!("{name}: {v}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Every `$ref` names something the document has.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                out.push(r.to_owned());
            }
            map.values().for_each(|x| refs(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_lists_refer_to_their_items() {
    let doc = doc();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} resolves to nothing");
    }
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(item) = name.strip_prefix("List_") {
            assert_eq!(
                schema["properties"]["items"]["items"]["$ref"],
                format!("#/components/schemas/{item}"),
                "{name}"
            );
        }
        assert!(
            !name.contains("Type") || name.ends_with("Type"),
            "{name}: a generated name"
        );
    }
}

//! `/members/v3/openapi.json` stays true to the code: every documented operation is served
//! at its path and method, and real answers match the documented schemas.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Checks `value` against a (JSON Schema 2020-12) schema of the document: types,
/// required and undocumented properties, array items, `$ref`s. Returns the first mismatch.
fn mismatch(doc: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return mismatch(doc, &doc["components"]["schemas"][name], value, at);
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(branches) = schema[combinator].as_array() {
            let fits = branches
                .iter()
                .any(|b| mismatch(doc, b, value, at).is_none());
            return (!fits).then(|| format!("{at}: {value} fits no branch of {combinator}"));
        }
    }
    let type_ok = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(t)) {
        return Some(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Some(format!("{at}: required {name} missing"));
            }
        }
        for (name, inner) in object {
            let Some(property) = properties.and_then(|p| p.get(name)) else {
                return Some(format!("{at}: {name} is not documented"));
            };
            if let Some(problem) = mismatch(doc, property, inner, &format!("{at}.{name}")) {
                return Some(problem);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            if let Some(problem) = mismatch(doc, items, item, &format!("{at}[{i}]")) {
                return Some(problem);
            }
        }
    }
    None
}

#[tokio::test]
async fn every_documented_operation_is_served_and_answers_as_documented() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("openapi").await;
    let doc = app
        .api(Method::GET, "/members/v3/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.body;
    assert_eq!(doc["openapi"], "3.1.0");

    // Data for the calls to act on.
    let made = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(json!({"badge": {"title": "Gold"}})),
        )
        .await;
    let badge = made.body["badge"]["id"].as_str().expect("id").to_string();
    // A badge of its own for the rule operations: once automatic, a badge is not given by hand.
    let automatic = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(json!({"badge": {"title": "By rule"}})),
        )
        .await;
    let automatic = automatic.body["badge"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let member = app.insert_members(1, "Doc").remove(0);
    let bodies = |operation: &str| match operation {
        "createBadge" => json!({"badge": {"title": "Silver"}}),
        "updateBadge" => json!({"badge": {"description": "Shiny"}}),
        "queryBadges" => json!({"filter": {"title": "Gold"}}),
        "updateBadgesDisplayOrder" => json!({"badgeIds": [badge]}),
        "updateBadgeSettings" => json!({"validForDays": 30}),
        "giveBadge" => json!({"memberIds": [member], "expiresDate": "2099-01-01T00:00:00Z"}),
        "setBadgeRule" | "previewBadgeRule" => {
            json!({"rule": {"criteria": [{"signedUp": false}], "revoke": true}})
        }
        _ => json!({"memberIds": [member]}),
    };

    let mut seen = Vec::new();
    let paths = doc["paths"].as_object().expect("paths");
    // Deleting last, so the other calls still find the badge.
    let mut operations: Vec<(String, String, Value)> = paths
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .expect("methods")
                .iter()
                .map(|(m, op)| (path.clone(), m.clone(), op.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    // A rule is set before it is read.
    operations.sort_by_key(|(path, method, _)| {
        (
            method == "delete" && !path.ends_with("members"),
            path.clone(),
            method != "put",
        )
    });
    for (path, method, operation) in operations {
        let id = operation["operationId"].as_str().expect("operationId");
        seen.push(id.to_string());
        let url = if path.contains("/rule") {
            path.replace("{id}", &automatic)
        } else {
            path.replace("{id}", &badge)
        };
        let url = if id == "unassignBadge" {
            format!("{url}?memberIds={member}")
        } else {
            url
        };
        let body = operation.get("requestBody").map(|_| bodies(id));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let reply = app.api(method, &url, Some(&key), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{id}: {}", reply.body);
        let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        if let Some(problem) = mismatch(&doc, schema, &reply.body, id) {
            panic!("{id} answers differently from its schema: {problem}");
        }
    }
    seen.sort();
    let mut expected = vec![
        "assignBadge",
        "createBadge",
        "deleteBadge",
        "getBadge",
        "getMemberCountsPerBadge",
        "listBadges",
        "listBadgesPerMember",
        "listMembersByBadge",
        "queryBadges",
        "unassignBadge",
        "updateBadge",
        "updateBadgesDisplayOrder",
        // Insignia's own, under /insignia/v1.
        "giveBadge",
        "listBadgeHolders",
        "updateBadgeSettings",
        "getBadgeRule",
        "setBadgeRule",
        "deleteBadgeRule",
        "previewBadgeRule",
    ];
    expected.sort();
    assert_eq!(
        seen, expected,
        "the twelve Wix operations and Insignia's seven documented"
    );

    // Error answers match the documented error schema too.
    let error = app
        .api(Method::GET, "/members/v3/badges/nope", None, None)
        .await;
    let schema = &doc["paths"]["/members/v3/badges/{id}"]["get"]["responses"]["404"]["content"]["application/json"]
        ["schema"];
    assert_eq!(mismatch(&doc, schema, &error.body, "404"), None);
    let invalid = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(json!({"badge": {"title": ""}})),
        )
        .await;
    assert_eq!(mismatch(&doc, schema, &invalid.body, "400"), None);
}

#[tokio::test]
async fn a_wrong_method_is_answered_405_with_the_methods_the_path_serves() {
    let app = spawn_app().await;
    let doc = app
        .api(Method::GET, "/members/v3/openapi.json", None, None)
        .await
        .body;
    let mut paths: Vec<(String, Vec<String>)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, methods)| {
            let mut documented: Vec<String> = methods
                .as_object()
                .expect("methods")
                .keys()
                .map(|m| m.to_uppercase())
                .collect();
            documented.sort();
            (
                path.replace("{id}", &uuid::Uuid::new_v4().to_string()),
                documented,
            )
        })
        .collect();
    paths.push(("/members/v3/openapi.json".into(), vec!["GET".into()]));
    for (path, documented) in paths {
        for method in ["TRACE", "PUT"]
            .into_iter()
            .filter(|m| !documented.iter().any(|d| d == m))
        {
            let res = app
                .client
                .request(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    app.url(&path),
                )
                .send()
                .await
                .expect("request");
            assert_eq!(
                res.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            let allow = res
                .headers()
                .get("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"))
                .to_str()
                .expect("ascii");
            let mut listed: Vec<String> = allow.split(',').map(|m| m.trim().to_string()).collect();
            listed.sort();
            assert_eq!(listed, documented, "Allow of {path}");
            let body: Value = res.json().await.expect("json error body");
            assert_eq!(
                body["details"]["applicationError"]["code"],
                "METHOD_NOT_ALLOWED"
            );
        }
    }
}

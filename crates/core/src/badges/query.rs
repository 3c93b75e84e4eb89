//! Badge queries in the Wix query language the API accepts (`queryBadges`): a filter over
//! `id`, `title` and `slug` with `$eq`, `$ne`, `$in`, `$startsWith`, combined with `$and` /
//! `$or`, and a sort. There are at most a few thousand badges, so a query runs over the list
//! in display order (one indexed read) and filters in memory.

use std::cmp::Ordering;

use serde_json::Value;

use super::Badge;

/// A query the caller got wrong: which part, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Path of the offending part, e.g. `query.filter.title.$regex`.
    pub field: String,
    pub message: String,
}

fn error(field: &str, message: impl Into<String>) -> QueryError {
    QueryError {
        field: field.to_string(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryField {
    Id,
    Title,
    Slug,
}

impl QueryField {
    fn parse(name: &str) -> Option<QueryField> {
        match name {
            // The Wix client calls the id `_id` on its side.
            "id" | "_id" => Some(QueryField::Id),
            "title" => Some(QueryField::Title),
            "slug" => Some(QueryField::Slug),
            _ => None,
        }
    }

    fn of(self, badge: &Badge) -> &str {
        match self {
            QueryField::Id => badge.id.as_str(),
            QueryField::Title => &badge.title,
            QueryField::Slug => &badge.slug,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    /// Case-insensitive, as in Wix queries.
    StartsWith(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Field(QueryField, Condition),
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

impl Filter {
    pub fn matches(&self, badge: &Badge) -> bool {
        match self {
            Filter::And(all) => all.iter().all(|f| f.matches(badge)),
            Filter::Or(any) => any.iter().any(|f| f.matches(badge)),
            Filter::Field(field, condition) => {
                let value = field.of(badge);
                match condition {
                    Condition::Eq(v) => value == v,
                    Condition::Ne(v) => value != v,
                    Condition::In(vs) => vs.iter().any(|v| v == value),
                    Condition::StartsWith(prefix) => {
                        value.to_lowercase().starts_with(&prefix.to_lowercase())
                    }
                }
            }
        }
    }
}

fn text(value: &Value, at: &str) -> Result<String, QueryError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| error(at, "must be a string"))
}

fn condition(op: &str, value: &Value, at: &str) -> Result<Condition, QueryError> {
    Ok(match op {
        "$eq" => Condition::Eq(text(value, at)?),
        "$ne" => Condition::Ne(text(value, at)?),
        "$startsWith" => Condition::StartsWith(text(value, at)?),
        "$in" => Condition::In(
            value
                .as_array()
                .ok_or_else(|| error(at, "must be a list of strings"))?
                .iter()
                .map(|v| text(v, at))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(error(
                at,
                format!(
                    "operator {other} is not supported (use $eq, $ne, $in, $startsWith, $and, $or)"
                ),
            ));
        }
    })
}

/// Parses a filter object; `at` is its path, for error messages.
pub fn parse_filter(value: &Value, at: &str) -> Result<Filter, QueryError> {
    let object = value
        .as_object()
        .ok_or_else(|| error(at, "must be an object"))?;
    let mut parts = Vec::new();
    for (key, inner) in object {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "$and" | "$or" => {
                let list = inner
                    .as_array()
                    .ok_or_else(|| error(&here, "must be a list of filters"))?
                    .iter()
                    .enumerate()
                    .map(|(i, f)| parse_filter(f, &format!("{here}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                parts.push(if key == "$and" {
                    Filter::And(list)
                } else {
                    Filter::Or(list)
                });
            }
            name => {
                let field = QueryField::parse(name).ok_or_else(|| {
                    error(
                        &here,
                        format!("cannot filter on {name} (use id, title or slug)"),
                    )
                })?;
                match inner {
                    Value::Object(ops) => {
                        for (op, operand) in ops {
                            parts.push(Filter::Field(
                                field,
                                condition(op, operand, &format!("{here}.{op}"))?,
                            ));
                        }
                    }
                    bare => parts.push(Filter::Field(field, Condition::Eq(text(bare, &here)?))),
                }
            }
        }
    }
    Ok(match parts.len() {
        1 => parts.remove(0),
        _ => Filter::And(parts),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Title,
    Slug,
    CreatedDate,
    UpdatedDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

/// Parses `[{"fieldName": "title", "order": "ASC"}, …]`.
pub fn parse_sort(value: &Value, at: &str) -> Result<Vec<Sort>, QueryError> {
    let list = value
        .as_array()
        .ok_or_else(|| error(at, "must be a list of sorts"))?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let here = format!("{at}[{i}]");
            let name = entry
                .get("fieldName")
                .and_then(Value::as_str)
                .ok_or_else(|| error(&format!("{here}.fieldName"), "is required"))?;
            let field = match name {
                "title" => SortField::Title,
                "slug" => SortField::Slug,
                "createdDate" | "_createdDate" => SortField::CreatedDate,
                "updatedDate" | "_updatedDate" => SortField::UpdatedDate,
                other => {
                    return Err(error(
                        &format!("{here}.fieldName"),
                        format!(
                            "cannot sort by {other} (use title, slug, createdDate or updatedDate)"
                        ),
                    ));
                }
            };
            let descending = match entry.get("order") {
                None | Some(Value::Null) => false,
                Some(Value::String(order)) if order == "ASC" => false,
                Some(Value::String(order)) if order == "DESC" => true,
                Some(_) => return Err(error(&format!("{here}.order"), "must be ASC or DESC")),
            };
            Ok(Sort { field, descending })
        })
        .collect()
}

fn compare(a: &Badge, b: &Badge, sort: &Sort) -> Ordering {
    let ordering = match sort.field {
        SortField::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
        SortField::Slug => a.slug.cmp(&b.slug),
        SortField::CreatedDate => a.created_at.cmp(&b.created_at),
        SortField::UpdatedDate => a.updated_at.cmp(&b.updated_at),
    };
    if sort.descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// Filters and sorts badges given in display order; ties keep display order.
pub fn run(badges: Vec<Badge>, filter: Option<&Filter>, sorts: &[Sort]) -> Vec<Badge> {
    let mut found: Vec<Badge> = badges
        .into_iter()
        .filter(|b| filter.is_none_or(|f| f.matches(b)))
        .collect();
    found.sort_by(|a, b| {
        sorts
            .iter()
            .map(|s| compare(a, b, s))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use serde_json::json;

    fn badge(id: &str, title: &str, position: i32) -> Badge {
        Badge {
            key: crate::db::keys::BadgeKey(i64::from(position)),
            id: id.into(),
            title: title.into(),
            slug: title.to_lowercase(),
            description: String::new(),
            background_color: "#796EFF".into(),
            text_color: "#FFFFFF".into(),
            icon: String::new(),
            permissions_enabled: false,
            self_assignable: false,
            position,
            member_count: 0,
            created_at: Timestamp::parse(&format!("2026-01-0{position}T00:00:00.000Z"))
                .expect("a time"),
            updated_at: Timestamp::default(),
            valid_for_days: None,
            tell_members: false,
        }
    }

    fn titles(badges: &[Badge]) -> Vec<&str> {
        badges.iter().map(|b| b.title.as_str()).collect()
    }

    fn all() -> Vec<Badge> {
        vec![
            badge("1", "Gold", 1),
            badge("2", "Silver", 2),
            badge("3", "Golden Hour", 3),
        ]
    }

    #[test]
    fn bare_values_operators_and_combinations() {
        let run_filter = |f: serde_json::Value| {
            let filter = parse_filter(&f, "filter").expect("valid filter");
            titles(&run(all(), Some(&filter), &[]))
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(run_filter(json!({"title": "Gold"})), ["Gold"]);
        assert_eq!(
            run_filter(json!({"title": {"$startsWith": "gold"}})),
            ["Gold", "Golden Hour"]
        );
        assert_eq!(
            run_filter(json!({"title": {"$ne": "Gold"}})),
            ["Silver", "Golden Hour"]
        );
        assert_eq!(
            run_filter(json!({"_id": {"$in": ["3", "1"]}})),
            ["Gold", "Golden Hour"]
        );
        assert_eq!(
            run_filter(json!({"$or": [{"slug": "silver"}, {"id": "3"}]})),
            ["Silver", "Golden Hour"]
        );
        assert_eq!(
            run_filter(json!({"$and": [{"title": {"$startsWith": "G"}}, {"id": {"$ne": "1"}}]})),
            ["Golden Hour"]
        );
    }

    #[test]
    fn unsupported_fields_and_operators_are_errors_not_empty_results() {
        let field = parse_filter(&json!({"description": "x"}), "filter").unwrap_err();
        assert_eq!(field.field, "filter.description");
        let op = parse_filter(&json!({"title": {"$regex": "x"}}), "filter").unwrap_err();
        assert_eq!(op.field, "filter.title.$regex");
        assert!(parse_filter(&json!({"title": 5}), "filter").is_err());
        assert!(parse_sort(&json!([{"fieldName": "icon"}]), "sort").is_err());
        assert!(parse_sort(&json!([{"fieldName": "title", "order": "UP"}]), "sort").is_err());
        assert!(parse_sort(&json!([{"fieldName": "title", "order": 1}]), "sort").is_err());
        assert!(parse_sort(&json!([{"fieldName": "title", "order": null}]), "sort").is_ok());
    }

    #[test]
    fn sorts_apply_in_turn_and_ties_keep_display_order() {
        let sorts = parse_sort(&json!([{"fieldName": "title", "order": "DESC"}]), "sort")
            .expect("valid sort");
        assert_eq!(
            titles(&run(all(), None, &sorts)),
            ["Silver", "Golden Hour", "Gold"]
        );
        assert_eq!(
            titles(&run(all(), None, &[])),
            ["Gold", "Silver", "Golden Hour"]
        );
    }
}

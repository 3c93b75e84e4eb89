//! Reading API input: JSON bodies (size-limited, with the path of a wrongly typed field in
//! the error), query strings, and paging.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::badges::Rule;

/// Largest JSON body: 1,000 member ids or a full badge fit many times over.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const PAGE_DEFAULT: i64 = 100;
pub const PAGE_MAX: i64 = 1000;
/// Most member ids in one assign, unassign or listBadgesPerMember call.
pub const MEMBER_IDS_MAX: usize = 1000;

/// A JSON body. An empty body reads as `{}`, so missing fields are reported by the rules.
pub struct Json<T>(pub T);

/// Parses JSON, naming the field on a type error (`badge.title: invalid type …`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::violation("body", Rule::Format, format!("is not valid JSON: {inner}"))
        } else if path == "." {
            ApiError::violation(
                "body",
                Rule::Format,
                format!("has the wrong shape: {inner}"),
            )
        } else {
            ApiError::violation(&path, Rule::Format, strip_position(&inner.to_string()))
        }
    })
}

/// serde_json appends " at line 1 column 20", which means nothing to an API caller.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > BODY_LIMIT) {
                return Err(ApiError::too_large(BODY_LIMIT));
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::violation("body", Rule::Format, format!("could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(ApiError::too_large(BODY_LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(Json)
        })
    }
}

/// The query string as name/value pairs (names repeat for lists: `memberIds=a&memberIds=b`).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::violation("query", Rule::Format, format!("cannot be read: {e}")))
}

fn number(field: &str, raw: Option<i64>) -> Result<Option<i64>, ApiError> {
    match raw {
        Some(n) if n < 0 => Err(ApiError::violation(
            field,
            Rule::Format,
            "must not be negative",
        )),
        other => Ok(other),
    }
}

/// A validated page request: offset ≥ 0, limit defaulted and capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
}

impl Paging {
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Paging, ApiError> {
        let limit = number("paging.limit", limit)?.unwrap_or(PAGE_DEFAULT);
        let offset = number("paging.offset", offset)?.unwrap_or(0);
        Ok(Paging {
            offset,
            limit: limit.min(PAGE_MAX),
        })
    }

    /// From `paging.limit` / `paging.offset` in the query string.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
        let read = |name: &str| -> Result<Option<i64>, ApiError> {
            match pairs.iter().rev().find(|(k, _)| k == name) {
                None => Ok(None),
                Some((_, v)) if v.trim().is_empty() => Ok(None),
                Some((_, v)) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                    ApiError::violation(name, Rule::Format, format!("must be a number, not “{v}”"))
                }),
            }
        };
        Paging::new(read("paging.limit")?, read("paging.offset")?)
    }
}

/// A request's member ids: required, at most [`MEMBER_IDS_MAX`], each a UUID; duplicates
/// count once (first mention kept).
pub fn member_ids(ids: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::violation(
            "memberIds",
            Rule::Required,
            "must list at least one member id",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = ids
        .into_iter()
        .map(|id| id.trim().to_string())
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if unique.len() > MEMBER_IDS_MAX {
        return Err(ApiError::violation(
            "memberIds",
            Rule::MaxLength,
            format!("must list at most {MEMBER_IDS_MAX} member ids"),
        ));
    }
    if let Some(bad) = unique.iter().find(|id| uuid::Uuid::parse_str(id).is_err()) {
        return Err(ApiError::violation(
            "memberIds",
            Rule::Format,
            format!("“{bad}” is not a member id (a UUID)"),
        ));
    }
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paging_defaults_caps_and_refuses_bad_numbers() {
        assert_eq!(
            Paging::from_query(&[]).ok(),
            Some(Paging {
                offset: 0,
                limit: 100
            })
        );
        let big = Paging::from_query(&pairs(&[("paging.limit", "5000"), ("paging.offset", "7")]));
        assert_eq!(
            big.ok(),
            Some(Paging {
                offset: 7,
                limit: 1000
            })
        );
        assert!(Paging::from_query(&pairs(&[("paging.limit", "-1")])).is_err());
        assert!(Paging::from_query(&pairs(&[("paging.offset", "ten")])).is_err());
    }

    #[test]
    fn member_ids_are_required_unique_limited_and_uuids() {
        assert!(member_ids(None).is_err());
        let id = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            member_ids(Some(vec![id.clone(), id.clone()])).ok(),
            Some(vec![id])
        );
        assert!(member_ids(Some(vec!["bob".into()])).is_err());
        let many = (0..=MEMBER_IDS_MAX)
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        assert!(member_ids(Some(many)).is_err());
    }

    #[test]
    fn type_errors_name_the_field() {
        let err = parse_json::<super::super::wire::BadgeRequest>(br#"{"badge":{"title":5}}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("badge.title invalid type: integer `5`, expected a string")
        );
        assert!(parse_json::<super::super::wire::BadgeRequest>(b"{not json").is_err());
        assert!(parse_json::<super::super::wire::BadgeRequest>(b"").is_ok());
    }
}

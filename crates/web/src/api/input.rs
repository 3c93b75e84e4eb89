//! Reading API input: JSON bodies (size-limited, with the path of a wrongly typed field in
//! the error), query strings, and paging.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use insignia_core::badges::Rule;

/// Largest JSON body: 1,000 member ids or a full badge fit many times over.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const PAGE_DEFAULT: i64 = 100;
pub const PAGE_MAX: i64 = 1000;
/// Most member ids in one assign, unassign or listBadgesPerMember call.
pub const MEMBER_IDS_MAX: usize = 1000;

/// A JSON body. An empty body reads as `{}`, so missing fields are reported by the rules.
pub struct Json<T>(pub T);

/// A JSON object read as `T`. serde's derived structs also read a JSON array of their fields
/// in order (`{"badge": [null, "Gold"]}` would make a badge); the API takes objects only, as
/// its document says.
#[derive(Debug, Clone, Default)]
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Fields(std::marker::PhantomData))
            .map(Object)
    }
}

/// Described exactly as `T`.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Object<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// Parses a JSON object, naming the field on a type error (`badge.title: invalid type …`).
/// No body at all reads as `{}`; white space alone is not JSON and is refused as such.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.is_empty() {
        b"{}".as_slice()
    } else {
        bytes
    };

    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de)
        .map(|Object(t)| t)
        .map_err(|e| {
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

fn control_refused(path: &str, c: char) -> ApiError {
    ApiError::violation(
        if path.is_empty() { "body" } else { path },
        Rule::Format,
        insignia_core::text::refused(c),
    )
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
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::violation("query", Rule::Format, format!("cannot be read: {e}")))?;
    for (name, value) in &pairs {
        if let Some(c) =
            crate::forms::first_control(name).or_else(|| crate::forms::first_control(value))
        {
            return Err(control_refused(name, c));
        }
    }
    Ok(pairs)
}

/// Reads an optional whole number from JSON: `5` and also `5.0`, which JSON Schema and
/// JavaScript take for the same integer, but never `5.5` or a number outside `i64`. `null`
/// reads as absent.
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::{Error, Unexpected, Visitor};

    struct Whole;
    impl<'de> Visitor<'de> for Whole {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
            // `i64::MAX as f64` is 2^63, one past the largest i64, hence `<`.
            if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
        }
    }

    deserializer.deserialize_option(Whole)
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

    /// From `paging.limit` / `paging.offset` in the query string. Each is one whole number
    /// or absent: an empty or repeated value is refused rather than guessed at, since a
    /// client that sends one meant something this cannot know.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
        let read = |name: &str| -> Result<Option<i64>, ApiError> {
            let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
            match (values.next(), values.next()) {
                (None, _) => Ok(None),
                (Some(_), Some(_)) => Err(ApiError::violation(
                    name,
                    Rule::Format,
                    "must be given at most once",
                )),
                (Some(v), None) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                    ApiError::violation(name, Rule::Format, format!("must be a number, not “{v}”"))
                }),
            }
        };
        Paging::new(read("paging.limit")?, read("paging.offset")?)
    }
}

/// Whether `id` is a UUID in its usual hyphenated form (`8-4-4-4-12` hex digits), the form
/// ids are made in and the one the API document calls `format: uuid`. The uuid crate also
/// reads braced, `urn:uuid:` and undashed forms; those are refused so that the document's
/// word for a valid id and the server's are the same.
pub fn is_uuid(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::parse_str(id).is_ok()
}

/// A request's member ids: required, at most [`MEMBER_IDS_MAX`] as sent, each a UUID;
/// duplicates then count once (first mention kept).
pub fn member_ids(ids: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::violation(
            "memberIds",
            Rule::Required,
            "must list at least one member id",
        ));
    }
    // Counted before duplicates are dropped: the limit is on the list a client sends.
    if ids.len() > MEMBER_IDS_MAX {
        return Err(ApiError::violation(
            "memberIds",
            Rule::MaxLength,
            format!("must list at most {MEMBER_IDS_MAX} member ids"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = ids
        .into_iter()
        .map(|id| id.trim().to_string())
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if let Some(bad) = unique.iter().find(|id| !is_uuid(id)) {
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
        assert!(Paging::from_query(&pairs(&[("paging.limit", "")])).is_err());
        let twice = pairs(&[("paging.limit", "5"), ("paging.limit", "6")]);
        assert!(Paging::from_query(&twice).is_err());
        let beyond = pairs(&[("paging.offset", "9223372036854775808")]);
        assert!(Paging::from_query(&beyond).is_err());
    }

    #[test]
    fn body_paging_takes_whole_numbers_written_either_way() {
        let read = |json: &str| {
            parse_json::<super::super::wire::PagingIn>(json.as_bytes())
                .map(|p| (p.limit, p.offset))
                .ok()
        };
        assert_eq!(
            read(r#"{"limit": 5, "offset": 330.0}"#),
            Some((Some(5), Some(330)))
        );
        assert_eq!(read(r#"{"limit": null}"#), Some((None, None)));
        assert_eq!(read("{}"), Some((None, None)));
        for bad in [
            r#"{"limit": 5.5}"#,
            r#"{"limit": "5"}"#,
            r#"{"offset": 9223372036854775808}"#,
            r#"{"offset": 9.3e18}"#,
            r#"{"offset": 1e300}"#,
        ] {
            assert_eq!(read(bad), None, "{bad}");
        }
    }

    #[test]
    fn objects_are_not_read_from_arrays() {
        use super::super::wire::{BadgeRequest, QueryRequest};
        assert!(parse_json::<BadgeRequest>(br#"{"badge": [null, "Gold"]}"#).is_err());
        assert!(parse_json::<BadgeRequest>(br#"[{"title": "Gold"}]"#).is_err());
        assert!(parse_json::<QueryRequest>(br#"{"paging": [5, 0]}"#).is_err());
        assert!(parse_json::<QueryRequest>(br#"{"query": {"paging": [null]}}"#).is_err());
        let nested = parse_json::<BadgeRequest>(br#"{"badge": {"title": 5}}"#)
            .err()
            .map(|e| e.to_string());
        assert!(nested.is_some_and(|e| e.starts_with("badge.title ")));
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
        // The limit is on the list as sent, repeats included.
        let id = uuid::Uuid::new_v4();
        assert!(member_ids(Some(vec![id.to_string(); MEMBER_IDS_MAX + 1])).is_err());
        assert!(member_ids(Some(vec![id.to_string(); MEMBER_IDS_MAX])).is_ok());
        // Only the hyphenated form, the one `format: uuid` means.
        for other in [
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
        ] {
            assert!(member_ids(Some(vec![other.clone()])).is_err(), "{other}");
        }
        assert!(member_ids(Some(vec![id.to_string().to_uppercase()])).is_ok());
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
        assert!(parse_json::<super::super::wire::BadgeRequest>(b"\n").is_err());
    }
}

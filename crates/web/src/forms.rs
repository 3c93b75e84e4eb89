//! Form plumbing: typed url-encoded forms ([`HtmlForm`]), field errors for templates and
//! reading multipart bodies.
//!
//! A form struct decodes through `serde_html_form` with the rules every form of the site
//! keeps (put `#[serde(default)]` on the struct, so a missing field is empty):
//! - a single-valued text field takes [`first`]: the first value when a field is repeated
//!   (`serde_html_form` alone would refuse it), "" when absent;
//! - a repeated field (ticked boxes of one name) is a `Vec<String>`, in the order sent;
//! - a checkbox takes [`checkbox`]: ticked when sent with a value other than "" and "false".

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_web::dev::{Payload, UrlEncoded};
use actix_web::error::UrlencodedError;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::ser::Serialize;

use crate::error::AppError;
use crate::state::FORM_LIMIT;

/// The first control character in `text` other than line breaks and tabs (which text areas
/// hold): no field takes one, and PostgreSQL cannot store NUL at all. Requests are checked
/// for them where they are read (forms and queries in `csrf::guard`, multipart text fields
/// here, the API's JSON and queries in `api::input`).
pub fn first_control(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Fields whose text is read line by line and whose bad lines are reported one by one (a
/// pasted CSV import), so a control character there is the reader's to report.
pub const REPORTED_BY_LINE: [&str; 1] = ["csv_text"];

/// The refusal of a request with a control character in `what` ("This form", "This address").
pub fn control_refused(what: &str, c: char) -> AppError {
    AppError::BadRequest(format!(
        "{what} contains a control character (U+{:04X}), which no field takes, so nothing was \
         changed. Remove it and try again.",
        u32::from(c)
    ))
}

/// Messages by form field name, shown next to each field.
#[derive(Debug, Default, Clone)]
pub struct Errors(HashMap<String, String>);

impl Errors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn count(&self) -> usize {
        self.0.len()
    }
}

/// An uploaded file, read up to a limit.
#[derive(Debug, Default)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
    /// The file was larger than the limit; `bytes` holds only its start.
    pub too_large: bool,
}

/// The text fields of a multipart form, and its files.
#[derive(Debug, Default)]
pub struct MultipartData {
    pub fields: Vec<(String, String)>,
    pub files: HashMap<String, Upload>,
}

// ---------------------------------------------------------------- typed url-encoded forms

/// A url-encoded form body decoded into `T` by `serde_html_form`: the site's `web::Form`.
/// actix's own reader (`UrlEncoded`, what `web::Form` uses) reads the body into pairs, with
/// its checks of the content type, charset, length and compression, up to [`FORM_LIMIT`];
/// the pairs then decode by the site's rules ([`from_pairs`]). What cannot be read is refused
/// with [`form_error`], the answer `web::FormConfig` gives too. The CSRF guard has read the
/// body before and put it back.
#[derive(Debug)]
pub struct HtmlForm<T>(pub T);

impl<T> HtmlForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for HtmlForm<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pairs = UrlEncoded::<Vec<(String, String)>>::new(req, payload).limit(FORM_LIMIT);
        let req = req.clone();
        Box::pin(async move {
            let pairs = pairs.await.map_err(|e| form_error(e, &req))?;
            Ok(HtmlForm(from_pairs(&pairs)?))
        })
    }
}

/// The refusal of a form that cannot be read: too large (413), or malformed (400). Also
/// `web::FormConfig`'s error handler, for the forms still read by `web::Form`.
pub fn form_error(e: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    refusal(e).into()
}

fn refusal(e: UrlencodedError) -> AppError {
    match e {
        UrlencodedError::Overflow { .. } => too_large(),
        e => AppError::BadRequest(format!("The form could not be read: {e}.")),
    }
}

/// The refusal for a body larger than the forms accept.
pub fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!(
        "This form is larger than {} MB, the most Insignia accepts, so nothing was changed. \
         Send it in smaller parts.",
        FORM_LIMIT / (1024 * 1024)
    ))
}

/// A single-valued field (`#[serde(deserialize_with = "forms::first")]`): its first value
/// when the field is sent more than once, as the site has always read forms.
pub fn first<'de, D: Deserializer<'de>>(field: D) -> Result<String, D::Error> {
    let all = Vec::<String>::deserialize(field)?;
    Ok(all.into_iter().next().unwrap_or_default())
}

/// Like [`first`], for a field whose absence means something of its own: `None` when not
/// sent (with `#[serde(default)]`), its first value when sent, even empty.
pub fn first_if_sent<'de, D: Deserializer<'de>>(field: D) -> Result<Option<String>, D::Error> {
    first(field).map(Some)
}

/// A checkbox (`#[serde(deserialize_with = "forms::checkbox")]`): ticked when sent with a
/// value other than "" and "false" (by any of its values, if sent more than once).
pub fn checkbox<'de, D: Deserializer<'de>>(field: D) -> Result<bool, D::Error> {
    let all = Vec::<String>::deserialize(field)?;
    Ok(all.iter().any(|v| !v.is_empty() && v != "false"))
}

/// Decodes form pairs (a multipart form's text fields, a kept draft) into a form struct by
/// the same rules as [`HtmlForm`].
pub fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, AppError> {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    serde_html_form::from_str(&encoded).map_err(|e| refusal(UrlencodedError::Parse(e)))
}

/// The pairs a form struct is sent as (a repeated field once per value; checkboxes as
/// "true" / "false"), for keeping it as a draft: what [`from_pairs`] reads back.
pub fn to_pairs<T: Serialize>(form: &T) -> Result<Vec<(String, String)>, AppError> {
    let encoded = serde_html_form::to_string(form).map_err(AppError::internal)?;
    Ok(url::form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect())
}

/// Reads a multipart body. Text fields are limited to `text_limit` bytes each; files to
/// `file_limit` (a larger file is marked, not silently cut, so the form can say so).
pub async fn read_multipart(
    mut parts: Multipart,
    text_limit: usize,
    file_limit: usize,
) -> Result<MultipartData, AppError> {
    let mut data = MultipartData::default();
    while let Some(part) = parts.next().await {
        let mut part =
            part.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
        let name = part.name().unwrap_or_default().to_string();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let limit = if filename.is_some() {
            file_limit
        } else {
            text_limit
        };
        let mut bytes = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = part.next().await {
            let chunk = chunk
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                too_large = true;
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        match filename {
            Some(filename) => {
                if !filename.is_empty() || !bytes.is_empty() {
                    data.files.insert(
                        name,
                        Upload {
                            filename,
                            bytes,
                            too_large,
                        },
                    );
                }
            }
            None => {
                if too_large {
                    return Err(AppError::BadRequest(format!(
                        "The field {name} is too long."
                    )));
                }
                let text = String::from_utf8(bytes).map_err(|_| {
                    AppError::BadRequest(format!("The field {name} is not valid text."))
                })?;
                let checked = if REPORTED_BY_LINE.contains(&name.as_str()) {
                    ""
                } else {
                    &text
                };
                if let Some(c) = first_control(checked).or_else(|| first_control(&name)) {
                    return Err(control_refused("This form", c));
                }
                data.fields.push((name, text));
            }
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
    #[serde(default)]
    struct Sample {
        #[serde(deserialize_with = "first")]
        name: String,
        tags: Vec<String>,
        #[serde(deserialize_with = "checkbox")]
        enabled: bool,
        #[serde(deserialize_with = "first_if_sent")]
        bulk: Option<String>,
    }

    fn decode(body: &str) -> Sample {
        serde_html_form::from_str(body).expect("decodes")
    }

    #[test]
    fn a_repeated_single_field_keeps_its_first_value_and_a_missing_one_is_empty() {
        assert_eq!(decode("name=a&name=b&name=").name, "a");
        assert_eq!(decode("name=&name=b").name, "");
        assert_eq!(decode("other=x"), Sample::default());
        assert_eq!(decode("name=Caf%C3%A9+au+lait").name, "Café au lait");
        // Without the helper, serde_html_form refuses a repeated field read as one value.
        #[derive(Debug, Deserialize)]
        struct Plain {
            #[allow(dead_code)]
            name: String,
        }
        assert!(serde_html_form::from_str::<Plain>("name=a&name=b").is_err());
    }

    #[test]
    fn repeated_fields_keep_every_value_in_order() {
        assert_eq!(decode("tags=b&name=x&tags=a&tags=").tags, ["b", "a", ""]);
        assert_eq!(decode("tags=only").tags, ["only"]);
        assert!(decode("").tags.is_empty());
    }

    #[test]
    fn a_checkbox_is_ticked_by_any_value_but_empty_and_false() {
        assert!(decode("enabled=on").enabled);
        assert!(decode("enabled=true").enabled);
        assert!(decode("enabled=0").enabled);
        assert!(!decode("enabled=").enabled);
        assert!(!decode("enabled=false").enabled);
        assert!(!decode("x=1").enabled);
        assert!(decode("enabled=false&enabled=on").enabled);
        assert!(decode("enabled=&enabled=yes").enabled);
        assert!(!decode("enabled=false&enabled=").enabled);
    }

    #[test]
    fn a_field_that_means_something_by_being_sent_says_so() {
        assert_eq!(decode("name=x").bulk, None);
        assert_eq!(decode("bulk=").bulk.as_deref(), Some(""));
        assert_eq!(decode("bulk=a&bulk=b").bulk.as_deref(), Some("a"));
    }

    #[test]
    fn pairs_decode_by_the_same_rules_and_drafts_read_back_what_was_sent() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let sent = pairs(&[
            ("name", "a & b = c+d%"),
            ("name", "second"),
            ("tags", "x y"),
            ("tags", "é\n\t"),
            ("enabled", "on"),
            ("bulk", ""),
            ("csrf_token", "t"),
        ]);
        let form: Sample = from_pairs(&sent).expect("decodes");
        assert_eq!(form.name, "a & b = c+d%");
        assert_eq!(form.tags, ["x y", "é\n\t"]);
        assert!(form.enabled);
        assert_eq!(form.bulk.as_deref(), Some(""));
        let kept = to_pairs(&form).expect("serializes");
        assert_eq!(from_pairs::<Sample>(&kept).expect("decodes"), form);
        let unticked = Sample {
            enabled: false,
            ..Sample::default()
        };
        let kept = to_pairs(&unticked).expect("serializes");
        assert_eq!(from_pairs::<Sample>(&kept).expect("decodes"), unticked);
    }

    async fn extract(req: TestRequest) -> Result<Sample, actix_web::Error> {
        let (req, mut payload) = req.to_http_parts();
        HtmlForm::<Sample>::from_request(&req, &mut payload)
            .await
            .map(HtmlForm::into_inner)
    }

    fn form_request(body: &'static str) -> TestRequest {
        TestRequest::post()
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
    }

    #[actix_web::test]
    async fn the_extractor_reads_a_urlencoded_body() {
        let form = extract(form_request("name=a&name=b&tags=1&tags=2&enabled=on"))
            .await
            .expect("reads");
        assert_eq!(form.name, "a");
        assert_eq!(form.tags, ["1", "2"]);
        assert!(form.enabled);
        let with_charset = TestRequest::post()
            .insert_header((
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ))
            .set_payload("name=x");
        assert_eq!(extract(with_charset).await.expect("reads").name, "x");
    }

    #[actix_web::test]
    async fn the_extractor_refuses_like_web_form() {
        let status = |e: actix_web::Error| e.as_response_error().status_code();
        let json = TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .set_payload("{}");
        let refused = extract(json).await.expect_err("not a form");
        assert!(
            refused
                .to_string()
                .starts_with("The form could not be read: Content type error"),
            "{refused}"
        );
        assert_eq!(status(refused), StatusCode::BAD_REQUEST);
        let big = TestRequest::post()
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("name=x")
            .insert_header(("content-length", (FORM_LIMIT + 1).to_string()));
        let refused = extract(big).await.expect_err("too large");
        assert_eq!(refused.to_string(), too_large().to_string());
        assert_eq!(status(refused), StatusCode::PAYLOAD_TOO_LARGE);
        // The same answers as actix's own `web::Form` with the site's `FormConfig`.
        let (req, mut payload) = TestRequest::post()
            .insert_header(("content-type", "text/plain"))
            .app_data(actix_web::web::FormConfig::default().error_handler(form_error))
            .to_http_parts();
        let by_web_form =
            actix_web::web::Form::<Vec<(String, String)>>::from_request(&req, &mut payload)
                .await
                .expect_err("not a form");
        let text = TestRequest::post().insert_header(("content-type", "text/plain"));
        let refused = extract(text).await.expect_err("not a form");
        assert_eq!(refused.to_string(), by_web_form.to_string());
    }
}

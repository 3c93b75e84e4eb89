//! Form plumbing: field errors for templates and reading multipart bodies.

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::error::AppError;

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

/// The first value of a field in a list of form pairs, or "" when absent.
pub fn value(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of a repeated field, in order.
pub fn values(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// A checkbox: present with any value but "" or "false".
pub fn flag(fields: &[(String, String)], name: &str) -> bool {
    fields
        .iter()
        .any(|(k, v)| k == name && !v.is_empty() && v != "false")
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

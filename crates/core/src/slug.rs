//! URL slugs for badges and member profiles: lowercase ASCII, dash-separated, unique with
//! `-2`, `-3`, … suffixes.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConnection;
use crate::error::Error;

/// Lowercase ASCII letters and digits separated by single dashes; `fallback` when nothing is left.
pub fn slugify(text: &str, fallback: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(fold_to_ascii) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        fallback.to_string()
    } else {
        slug
    }
}

/// Common Latin letters with accents become their plain letter, so "Café" slugs as "cafe".
fn fold_to_ascii(c: char) -> Vec<char> {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => return vec!['s', 's'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        other => other,
    };
    vec![plain]
}

/// Where slugs are kept; each table's `slug` is unique and indexed.
#[derive(Debug, Clone, Copy)]
pub enum SlugTable {
    Badges,
    Members,
    Pages,
}

impl SlugTable {
    fn name(self) -> &'static str {
        match self {
            SlugTable::Badges => "badges",
            SlugTable::Members => "members",
            SlugTable::Pages => "pages",
        }
    }
}

/// The first free slug for `base` in `table` (`base`, `base-2`, …), reading only the slugs
/// that share its stem (a range of the slug index), and not counting the row `except_id`
/// (the one being renamed).
pub fn free_in(
    conn: &mut DbConnection,
    table: SlugTable,
    base: &str,
    except_id: Option<&str>,
) -> Result<String, Error> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = Text)]
        slug: String,
    }
    let taken: Vec<Taken> = diesel::sql_query(conn.sql(&format!(
        "SELECT slug FROM {} WHERE (slug = ? OR slug BETWEEN ? AND ?) AND id <> ?",
        table.name()
    )))
    .bind::<Text, _>(base)
    .bind::<Text, _>(format!("{base}-"))
    .bind::<Text, _>(format!("{base}-\u{10FFFF}"))
    .bind::<Text, _>(except_id.unwrap_or(""))
    .load(conn)?;
    let taken: Vec<String> = taken.into_iter().map(|t| t.slug).collect();
    Ok(first_free(base, &taken))
}

/// Picks the first free slug: `base`, then `base-2`, `base-3`, …
fn first_free(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_ascii_with_dashes() {
        assert_eq!(
            slugify("Top Contributor 2026!", "x"),
            "top-contributor-2026"
        );
        assert_eq!(slugify("  Café -- Crème  ", "x"), "cafe-creme");
        assert_eq!(slugify("★★★", "member"), "member");
        assert_eq!(slugify("Straße", "x"), "strasse");
    }

    #[test]
    fn clashes_get_numbered_suffixes() {
        assert_eq!(first_free("gold", &[]), "gold");
        let taken = vec!["gold".to_string(), "gold-2".to_string()];
        assert_eq!(first_free("gold", &taken), "gold-3");
    }
}

//! Reports of bulk work (the bulk box, CSV import), kept for a day. A page shows a report's
//! counts and the lines that need attention; the whole per-line report downloads as CSV from
//! here. What was pasted is kept with it, so a dry run of 50,000 lines can be applied without
//! sending the list back through the page.

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::reports;
use crate::error::Error;

/// How long a report can be downloaded (or its dry run applied).
const KEPT_HOURS: i64 = 24;

/// Most lines needing attention that a report page lists; the download has them all.
pub const SHOWN_ON_PAGE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The bulk box giving a badge.
    Bulk,
    /// The bulk box taking a badge away, or "Remove all holders".
    BulkTake,
    Import,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Bulk => "bulk",
            Kind::BulkTake => "bulk-take",
            Kind::Import => "import",
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub input: String,
    pub csv: String,
    pub created_at: Timestamp,
    /// What the report's page shows, as its maker wrote it (JSON); empty for an import.
    pub page: String,
    /// The lines that need attention, as CSV (empty: none, or an import).
    pub attention: String,
}

impl Report {
    /// The file name a download is saved under.
    pub fn file_name(&self) -> String {
        let day = self.created_at.date();
        format!("insignia-{}-report-{day}.csv", self.kind)
    }

    /// The file name the lines that need attention are saved under.
    pub fn attention_file_name(&self) -> String {
        let day = self.created_at.date();
        format!("insignia-{}-to-fix-{day}.csv", self.kind)
    }

    /// Whether it is a report of the bulk box (either way) for this badge.
    pub fn is_bulk_of(&self, badge_id: &str) -> bool {
        (self.kind == Kind::Bulk.as_str() || self.kind == Kind::BulkTake.as_str())
            && self.subject == badge_id
    }
}

/// Keeps a report for its admin; returns its id. What was pasted is kept only for a dry run,
/// the one kind of report that is applied later. Older reports are swept on the way.
pub fn keep(
    conn: &mut DbConnection,
    admin_id: &str,
    kind: Kind,
    subject: &str,
    dry_run_input: Option<&str>,
    csv: String,
) -> Result<String, Error> {
    let cutoff = Timestamp::now() - time::Duration::hours(KEPT_HOURS);
    diesel::delete(reports::table.filter(reports::created_at.lt(cutoff))).execute(conn)?;
    let id = crate::tokens::random_token();
    diesel::insert_into(reports::table)
        .values((
            reports::id.eq(&id),
            reports::admin_id.eq(admin_id),
            reports::kind.eq(kind.as_str()),
            reports::subject.eq(subject),
            reports::input.eq(storable(dry_run_input.unwrap_or_default())),
            reports::csv.eq(csv),
            reports::created_at.eq(crate::clock::Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Keeps with a report what its page shows (`page`, JSON) and its lines that need attention
/// (`attention`, CSV), so it can be shown again at its own address and those lines downloaded
/// alone.
pub fn keep_page(
    conn: &mut DbConnection,
    id: &str,
    page: &str,
    attention: String,
) -> Result<(), Error> {
    diesel::update(reports::table.find(id))
        .set((reports::page.eq(page), reports::attention.eq(attention)))
        .execute(conn)?;
    Ok(())
}

/// PostgreSQL cannot store NUL in text. A dry run's input may hold one on a line the run
/// refused; kept as U+0001, that line is still refused as holding a control character when
/// the input is applied, and every other line imports as the dry run said.
fn storable(input: &str) -> std::borrow::Cow<'_, str> {
    if input.contains('\0') {
        input.replace('\0', "\u{1}").into()
    } else {
        input.into()
    }
}

/// A report of `kind` this admin made within the last day (a dry run to apply).
pub fn find(
    conn: &mut DbConnection,
    admin_id: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<Report>, Error> {
    Ok(find_any(conn, admin_id, id)?.filter(|r| r.kind == kind.as_str()))
}

/// Any report this admin made within the last day (for the download route).
pub fn find_any(
    conn: &mut DbConnection,
    admin_id: &str,
    id: &str,
) -> Result<Option<Report>, Error> {
    if !crate::tokens::is_token(id) {
        return Ok(None);
    }
    let cutoff = Timestamp::now() - time::Duration::hours(KEPT_HOURS);
    Ok(reports::table
        .filter(reports::id.eq(id))
        .filter(reports::admin_id.eq(admin_id))
        .filter(reports::created_at.ge(cutoff))
        .select(Report::as_select())
        .first(conn)
        .optional()?)
}

/// Pasted text longer than this is not sent back into the page with its report: a dry run
/// keeps it on the server instead, so a page stays small at 50,000 lines.
const ECHO_MAX: usize = 64 * 1024;

/// What a form shows in its text box beside a report: nothing once the change is made, and
/// nothing for a long dry run (the report's button applies the kept text).
pub fn text_to_show(text: String, dry_run: bool) -> String {
    if !dry_run || text.len() > ECHO_MAX {
        String::new()
    } else {
        text
    }
}

/// Writes rows as CSV. A cell that a spreadsheet would read as a formula (starting with `=`,
/// `+`, `-` or `@`) gets a leading `'`, so pasted text can never run as one.
pub fn csv_of(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String, Error> {
    let bytes = csv_bytes(Some(header), rows)?;
    String::from_utf8(bytes).map_err(Error::internal)
}

/// The same as bytes, with or without the header line: a streamed export writes its rows a
/// page at a time.
pub fn csv_bytes(
    header: Option<&[&str]>,
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        out.write_record(header).map_err(Error::internal)?;
    }
    for row in rows {
        out.write_record(row.iter().map(|cell| safe_cell(cell).into_owned()))
            .map_err(Error::internal)?;
    }
    out.into_inner().map_err(Error::internal)
}

/// What [`csv_of`] wrote back as it was typed: the `'` in front of a would-be formula goes
/// (for the import reading an export).
pub fn original_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_quotes_escaped() {
        let csv = csv_of(
            &["line", "text"],
            [
                vec!["1".to_string(), "=HYPERLINK(\"x\")".to_string()],
                vec!["2".to_string(), "ada@example.com".to_string()],
                vec!["3".to_string(), "@SUM(A1)".to_string()],
            ]
            .into_iter(),
        )
        .expect("csv");
        assert_eq!(
            csv,
            "line,text\n1,\"'=HYPERLINK(\"\"x\"\")\"\n2,ada@example.com\n3,'@SUM(A1)\n"
        );
    }
}

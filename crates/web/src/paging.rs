//! Lists read a page at a time: one row more than a page is asked for, and its presence says
//! whether an "Older" link is due. Lists ordered by time carry their place in one cursor
//! format, `<Unix milliseconds>.<key>` (the sort key and its tie-breaker).

/// Rows on a page of the dashboard's long lists (members, a badge's holders).
pub const DASHBOARD_PAGE: i64 = 50;

/// The rows of one page out of `rows` (read with `size + 1`), and whether more follow.
pub fn page_of<T>(mut rows: Vec<T>, size: usize) -> (Vec<T>, bool) {
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}

/// A place in a list ordered by time, then by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCursor {
    pub at_millis: i64,
    pub key: i64,
}

impl TimeCursor {
    /// Reads `<millis>.<key>`; also `<millis>|<key>`, which links made before the spelling
    /// was one still carry. Anything else is no cursor (the list starts at its top).
    pub fn parse(text: &str) -> Option<TimeCursor> {
        let (at, key) = text.split_once('.').or_else(|| text.split_once('|'))?;
        Some(TimeCursor {
            at_millis: at.parse().ok()?,
            key: key.parse().ok()?,
        })
    }
}

impl std::fmt::Display for TimeCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.at_millis, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_nothing_else() {
        let cursor = TimeCursor {
            at_millis: 1_765_000_000_123,
            key: 42,
        };
        assert_eq!(TimeCursor::parse(&cursor.to_string()), Some(cursor));
        assert_eq!(TimeCursor::parse("1765000000123|42"), Some(cursor));
        for bad in ["", "yesterday", "1.2.3", "1.", ".2", "a.b", "1|x"] {
            assert_eq!(TimeCursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_page_is_trimmed_and_says_whether_more_follow() {
        assert_eq!(page_of(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(page_of(vec![1, 2], 2), (vec![1, 2], false));
        assert_eq!(page_of(Vec::<i32>::new(), 2), (vec![], false));
    }
}

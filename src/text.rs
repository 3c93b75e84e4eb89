//! Text that people type and others read (badge titles and descriptions, member names): the
//! characters refused in it, the normal form it is stored in, and the key two texts are
//! compared on. Badges and members both use these, so the rule is the same everywhere.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The start of the message for a refused character; the character's code point follows.
pub const INVISIBLE_OR_CONTROL: &str = "must not contain invisible or control characters";

/// Bidirectional formatting characters (marks, embeddings, overrides, isolates): they
/// reorder how the text around them is shown.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Invisible characters with no use inside a name: zero-width space, word joiner and the
/// invisible operators, the deprecated format characters, zero-width no-break space (byte
/// order mark), the interlinear annotation marks and the Hangul filler letters. Zero-width
/// joiners and non-joiners and variation selectors are not among them: scripts and emoji
/// need them. Text is compared without them instead (see [`comparison_key`]).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// Unicode's Default_Ignorable_Code_Point: characters shown as nothing at all when a font
/// has no glyph for them (soft hyphen, joiners, variation selectors, bidi controls, tags…).
pub fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

pub fn refused(c: char) -> String {
    format!("{INVISIBLE_OR_CONTROL} (found U+{:04X})", u32::from(c))
}

/// The text in NFC (most text already is, and is only copied).
fn composed(text: &str) -> String {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.to_string()
    } else {
        text.nfc().collect()
    }
}

/// Whether nothing would show: only white space and default-ignorable characters.
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || is_default_ignorable(c))
}

/// Characters a one-line text refuses: every control character (Unicode Cc, line breaks and
/// tabs included), the line and paragraph separators, bidirectional formatting characters and
/// the invisible characters of [`is_invisible`].
pub fn refused_in_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_bidi_control(c) || is_invisible(c)
}

/// Characters a multi-line text refuses: control characters other than line breaks and tabs,
/// and bidirectional formatting characters.
pub fn refused_in_lines(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c)
}

/// A one-line text (a title, a name): trimmed, in NFC, with no [`refused_in_line`] character.
pub fn clean_line(input: &str) -> Result<String, String> {
    clean(input, refused_in_line)
}

/// A multi-line text (a description): trimmed, in NFC, with no [`refused_in_lines`] character.
pub fn clean_lines(input: &str) -> Result<String, String> {
    clean(input, refused_in_lines)
}

fn clean(input: &str, is_refused: fn(char) -> bool) -> Result<String, String> {
    let text = input.trim();
    match text.chars().find(|&c| is_refused(c)) {
        Some(c) => Err(refused(c)),
        None => Ok(composed(text)),
    }
}

/// The key two texts are compared on, so that texts a reader cannot tell apart clash: in
/// compatibility form (NFKC: a full-width letter or a no-break space is the plain one),
/// lowercased (a final sigma as any other), without default-ignorable characters, and with
/// every run of whitespace as one space (a page shows it so). Empty when nothing visible is
/// left.
pub fn comparison_key(text: &str) -> String {
    let visible: String = text.chars().filter(|&c| !is_default_ignorable(c)).collect();
    let lower: String = visible
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .replace('\u{3C2}', "\u{3C3}");
    let folded: String = lower.nfkc().filter(|&c| !is_default_ignorable(c)).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A count as people write it: 50000 → "50,000". (Takes `&usize` too, as templates pass.)
pub fn grouped(n: impl std::borrow::Borrow<usize>) -> String {
    let digits = n.borrow().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A count with its noun, singular or plural as the number needs: "1 member", "2,500 members".
pub fn count_of(n: impl std::borrow::Borrow<usize>, one: &str, many: &str) -> String {
    let n = *n.borrow();
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_every_control_and_invisible_character() {
        for c in ('\u{0}'..='\u{1F}').chain('\u{7F}'..='\u{9F}').chain([
            '\u{061C}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2028}',
            '\u{2060}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{3164}',
        ]) {
            let text = format!("a{c}b");
            let err = clean_line(&text).unwrap_err();
            assert!(err.starts_with(INVISIBLE_OR_CONTROL), "{text:?}");
            assert!(err.contains(&format!("U+{:04X}", u32::from(c))), "{err}");
        }
        for fine in [
            "a\u{200C}b",
            "a\u{200D}b",
            "a\u{FE0F}",
            "a\u{AD}b",
            "Zoë 😀",
        ] {
            assert!(clean_line(fine).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn multi_line_text_keeps_line_breaks_and_tabs_only() {
        assert_eq!(clean_lines(" a\r\n\tb\n "), Ok("a\r\n\tb".to_string()));
        assert!(clean_lines("a\u{200B}b").is_ok());
        for bad in ["a\u{0}b", "a\u{7F}b", "a\u{202D}b", "a\u{2068}b"] {
            assert!(clean_lines(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_is_stored_composed() {
        assert_eq!(clean_line("Cafe\u{301}"), Ok("Caf\u{e9}".to_string()));
        assert_eq!(clean_lines("Cafe\u{301}"), Ok("Caf\u{e9}".to_string()));
        // Compatibility characters are kept as typed; only the key folds them.
        assert_eq!(clean_line("\u{FB01}ne"), Ok("\u{FB01}ne".to_string()));
    }

    #[test]
    fn the_key_ignores_case_invisibles_forms_and_spacing() {
        let key = comparison_key("Founding Member");
        assert_eq!(key, "founding member");
        for twin in [
            "FOUNDING MEMBER",
            "Founding Member\u{200B}",
            "Found\u{AD}ing Mem\u{200D}ber",
            "Founding\u{A0}Member",
            "  Founding \t Member ",
            "\u{FF26}ounding Member",
            "Founding Member\u{E0041}",
        ] {
            assert_eq!(comparison_key(twin), key, "{twin:?}");
        }
        assert_eq!(comparison_key("Cafe\u{301}"), comparison_key("CAF\u{C9}"));
        assert_eq!(comparison_key("\u{FB01}ne"), "fine");
        assert_eq!(comparison_key("ΟΣΟΣ"), comparison_key("οσοσ"));
        assert_eq!(comparison_key("\u{200D}\u{FE0F} \u{3164}"), "");
    }

    #[test]
    fn blank_text_shows_nothing() {
        assert!(is_blank(""));
        assert!(is_blank(" \u{200D}\u{FE0F}\u{3000}\u{3164}\u{AD}"));
        assert!(!is_blank("\u{200D}a"));
        assert!(!is_blank("\u{301}"));
    }
}

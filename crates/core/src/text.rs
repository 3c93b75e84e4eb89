//! Text that people type and others read (badge titles and descriptions, member names): the
//! characters refused in it, the normal form it is stored in, and the key two texts are
//! compared on. Badges and members both use these, so the rule is the same everywhere.

use icu_properties::CodePointSetData;
use icu_properties::props::{
    BidiControl, DefaultIgnorableCodePoint, JoinControl, VariationSelector,
};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The start of the message for a refused character; the character's code point follows.
pub const INVISIBLE_OR_CONTROL: &str = "must not contain invisible or control characters";

/// The message for a one-line text with nothing in it that shows.
pub const NOTHING_VISIBLE: &str = "must contain at least one visible character";

/// The black flag, U+1F3F4, the base of the subdivision flags (England's, Scotland's, Wales's).
const BLACK_FLAG: char = '\u{1F3F4}';
/// CANCEL TAG, which ends a flag's tag sequence.
const CANCEL_TAG: char = '\u{E007F}';

/// Bidirectional formatting characters (marks, embeddings, overrides, isolates): they
/// reorder how the text around them is shown.
pub fn is_bidi_control(c: char) -> bool {
    CodePointSetData::new::<BidiControl>().contains(c)
}

/// Unicode's Default_Ignorable_Code_Point: characters shown as nothing at all when a font
/// has no glyph for them (soft hyphen, joiners, variation selectors, bidi controls, Hangul
/// fillers, tags…), from the Unicode data of the `icu_properties` crate.
pub fn is_default_ignorable(c: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// What a character is to a one-line text (a title, a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Draws ink: letters, digits, marks, punctuation, symbols, emoji.
    Ink,
    /// Takes room but draws nothing: white space, and the braille blank (U+2800), a cell
    /// with no dots. Allowed, but something else must show.
    Blank,
    /// Zero-width joiner and non-joiner: scripts (Persian, Indic) and emoji sequences need
    /// them, so they are allowed between two characters that draw ink (after a variation
    /// selector or a flag too: the heart on fire is ❤, U+FE0F, U+200D, 🔥).
    Joiner,
    /// Variation selectors (emoji and text style, CJK variants, Mongolian free variation
    /// selectors): allowed right after a character that draws ink.
    Selector,
    /// Tag letters a–z and digits, and the cancel tag: allowed only in a subdivision flag,
    /// the black flag followed by a subdivision code in tags (England's is 🏴 + "gbeng" +
    /// cancel tag; see [`flag_tags`]).
    FlagTag,
    /// Refused anywhere: control characters, line and paragraph separators, bidirectional
    /// formatting characters, every other default-ignorable character (soft hyphen,
    /// zero-width space, word joiner, Hangul fillers, the Mongolian vowel separator, other
    /// tags…) and the interlinear annotation characters.
    Refused,
}

pub fn kind(c: char) -> Kind {
    if c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || is_bidi_control(c)
        // Interlinear annotation marks: invisible format characters, though not ignorable.
        || matches!(c, '\u{FFF9}'..='\u{FFFB}')
    {
        Kind::Refused
    } else if CodePointSetData::new::<JoinControl>().contains(c) {
        Kind::Joiner
    } else if CodePointSetData::new::<VariationSelector>().contains(c) {
        Kind::Selector
    } else if matches!(c, '\u{E0030}'..='\u{E0039}' | '\u{E0061}'..='\u{E007A}' | CANCEL_TAG) {
        Kind::FlagTag
    } else if is_default_ignorable(c) {
        Kind::Refused
    } else if c.is_whitespace() || c == '\u{2800}' {
        Kind::Blank
    } else {
        Kind::Ink
    }
}

/// The length in bytes of the tags of a subdivision flag at the start of `rest` (the text
/// right after a black flag), or `None` when it does not start with one: a subdivision code
/// (two tag letters, then one to four tag letters or digits) and the cancel tag, as Unicode's
/// emoji tag sequences have it (UTS #51).
pub fn flag_tags(rest: &str) -> Option<usize> {
    let mut count = 0;
    for c in rest.chars() {
        match c {
            '\u{E0061}'..='\u{E007A}' => count += 1,
            '\u{E0030}'..='\u{E0039}' if count >= 2 => count += 1,
            CANCEL_TAG if (3..=6).contains(&count) => {
                return Some((count + 1) * CANCEL_TAG.len_utf8());
            }
            _ => return None,
        }
        if count > 6 {
            return None;
        }
    }
    None
}

/// What the character before the one being read was, as far as joiners and selectors care.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    Nothing,
    Ink,
    Selector,
    Flag,
    Other,
}

/// The first character a one-line text may not hold where it is, and why: a [`Kind::Refused`]
/// character anywhere, or a joiner, selector or tag out of its place.
fn misplaced_in_line(text: &str) -> Option<String> {
    let mut before = Before::Nothing;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        let problem = match kind(c) {
            Kind::Refused => Some(refused(c)),
            Kind::Blank => {
                before = Before::Other;
                None
            }
            Kind::Ink => {
                before = Before::Ink;
                if c == BLACK_FLAG
                    && let Some(tags) = flag_tags(rest)
                {
                    rest = &rest[tags..];
                    before = Before::Flag;
                }
                None
            }
            Kind::Selector if before == Before::Ink => {
                before = Before::Selector;
                None
            }
            Kind::Selector => Some(format!(
                "{} (found U+{:04X}, a variation selector, which belongs right after a visible character)",
                INVISIBLE_OR_CONTROL,
                u32::from(c)
            )),
            Kind::Joiner
                if matches!(before, Before::Ink | Before::Selector | Before::Flag)
                    && rest.chars().next().map(kind) == Some(Kind::Ink) =>
            {
                before = Before::Other;
                None
            }
            Kind::Joiner => Some(format!(
                "{} (found U+{:04X}, a joiner, which belongs between two visible characters)",
                INVISIBLE_OR_CONTROL,
                u32::from(c)
            )),
            Kind::FlagTag => Some(format!(
                "{} (found U+{:04X}, a tag character, which belongs only in a flag such as England's)",
                INVISIBLE_OR_CONTROL,
                u32::from(c)
            )),
        };
        if problem.is_some() {
            return problem;
        }
    }
    None
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

/// Whether nothing would show: no character that draws ink (see [`Kind::Ink`]), only white
/// space, braille blanks and invisible characters.
pub fn is_blank(text: &str) -> bool {
    !text.chars().any(|c| kind(c) == Kind::Ink)
}

/// The message for a one-line text that is empty or shows nothing (`None` when something
/// shows): [`NOTHING_VISIBLE`], or "must not be empty" when there is nothing at all.
pub fn blank_line(text: &str) -> Option<&'static str> {
    if text.trim().is_empty() {
        Some("must not be empty")
    } else if is_blank(text) {
        Some(NOTHING_VISIBLE)
    } else {
        None
    }
}

/// Characters a one-line text refuses wherever they are (see [`Kind::Refused`]). Joiners,
/// variation selectors and flag tags are refused out of their place (see [`clean_line`]).
pub fn refused_in_line(c: char) -> bool {
    kind(c) == Kind::Refused
}

/// Characters a multi-line text refuses: control characters other than line breaks and tabs,
/// and bidirectional formatting characters.
pub fn refused_in_lines(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c)
}

/// A one-line text (a title, a name): trimmed, in NFC, with no [`Kind::Refused`] character,
/// joiners only between visible characters, variation selectors only right after one, and
/// tags only in a subdivision flag.
pub fn clean_line(input: &str) -> Result<String, String> {
    let text = input.trim();
    match misplaced_in_line(text) {
        Some(problem) => Err(problem),
        None => Ok(composed(text)),
    }
}

/// A multi-line text (a description): trimmed, in NFC, with no [`refused_in_lines`] character.
pub fn clean_lines(input: &str) -> Result<String, String> {
    let text = input.trim();
    match text.chars().find(|&c| refused_in_lines(c)) {
        Some(c) => Err(refused(c)),
        None => Ok(composed(text)),
    }
}

/// The key two texts are compared on, so that texts a reader cannot tell apart clash: in
/// compatibility form (NFKC: a full-width letter or a no-break space is the plain one),
/// lowercased (a final sigma as any other), without default-ignorable characters (but with
/// the tags of a subdivision flag: England's flag is not Scotland's), and with every run of
/// whitespace as one space (a page shows it so). Empty when nothing visible is left.
pub fn comparison_key(text: &str) -> String {
    let lower: String = without_ignorables(text)
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .replace('\u{3C2}', "\u{3C3}");
    let folded = without_ignorables(&lower.nfkc().collect::<String>());
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without its default-ignorable characters, except the tags of subdivision flags.
fn without_ignorables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if !is_default_ignorable(c) {
            out.push(c);
        }
        if c == BLACK_FLAG
            && let Some(tags) = flag_tags(rest)
        {
            out.push_str(&rest[..tags]);
            rest = &rest[tags..];
        }
    }
    out
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

/// Items as a sentence lists them: "a", "a and b", "a, b and c" (with `word` for "and").
pub fn joined(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_every_control_and_invisible_character() {
        for c in ('\u{0}'..='\u{1F}').chain('\u{7F}'..='\u{9F}').chain([
            '\u{061C}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2028}',
            '\u{2060}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{3164}', '\u{FFF9}',
        ]) {
            let text = format!("a{c}b");
            let err = clean_line(&text).unwrap_err();
            assert!(err.starts_with(INVISIBLE_OR_CONTROL), "{text:?}");
            assert!(err.contains(&format!("U+{:04X}", u32::from(c))), "{err}");
        }
        for fine in ["a\u{200C}b", "a\u{200D}b", "a\u{FE0F}", "Zoë 😀"] {
            assert!(clean_line(fine).is_ok(), "{fine:?}");
        }
    }

    /// The rest of Unicode's Default_Ignorable_Code_Point set, wherever it stands.
    #[test]
    fn one_line_text_refuses_the_other_default_ignorable_characters() {
        for c in [
            '\u{115F}',  // Hangul choseong filler
            '\u{1160}',  // Hangul jungseong filler
            '\u{FFA0}',  // halfwidth Hangul filler
            '\u{180E}',  // Mongolian vowel separator
            '\u{AD}',    // soft hyphen
            '\u{34F}',   // combining grapheme joiner
            '\u{17B4}',  // Khmer vowel inherent aq
            '\u{2065}',  // reserved, ignorable
            '\u{1D173}', // musical symbol begin beam
            '\u{E0001}', // language tag
            '\u{E0020}', // tag space
            '\u{E0041}', // tag capital A
            '\u{E007E}', // tag tilde
            '\u{E0FFF}', // reserved, ignorable
        ] {
            for text in [format!("Gold{c}"), format!("{c}Gold"), format!("Go{c}ld")] {
                let err = clean_line(&text).unwrap_err();
                assert!(err.starts_with(INVISIBLE_OR_CONTROL), "{text:?}: {err}");
                assert!(
                    err.contains(&format!("(found U+{:04X}", u32::from(c))),
                    "{text:?}: {err}"
                );
            }
        }
        // Every default-ignorable character but the joiners, the variation selectors and the
        // tags a flag uses is refused on its own.
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let kept = matches!(kind(c), Kind::Joiner | Kind::Selector | Kind::FlagTag);
            if is_default_ignorable(c) && !kept {
                assert!(refused_in_line(c), "U+{:04X}", u32::from(c));
            }
        }
    }

    #[test]
    fn tags_outside_a_subdivision_flag_are_refused() {
        let england = "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        for bad in [
            "Gold\u{E0067}\u{E0062}\u{E007F}",
            "Gold\u{E007F}",
            // Too short, too long, digits first, no cancel tag, not after the black flag.
            "🏴\u{E0067}\u{E0062}\u{E007F}",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E0067}\u{E0067}\u{E007F}",
            "🏴\u{E0031}\u{E0032}\u{E0033}\u{E007F}",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}",
            "🏳\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            &format!("{england}\u{E007F}"),
        ] {
            let err = clean_line(bad).unwrap_err();
            assert!(err.starts_with(INVISIBLE_OR_CONTROL), "{bad:?}: {err}");
            assert!(err.contains("(found U+E00"), "{bad:?}: {err}");
        }
        // England, Scotland and a subdivision with digits (a Unicode-valid sequence).
        for flag in [
            england,
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "🏴\u{E0066}\u{E0072}\u{E0031}\u{E0033}\u{E007F}",
        ] {
            let title = format!("Supporter {flag}");
            assert_eq!(clean_line(&title), Ok(title.clone()));
        }
    }

    #[test]
    fn joiners_and_selectors_only_stand_beside_visible_characters() {
        for fine in [
            "👨\u{200D}👩\u{200D}👧",                                    // family
            "❤\u{FE0F}\u{200D}🔥", // heart on fire: a joiner after a selector
            "🏳\u{FE0F}\u{200D}🌈", // rainbow flag
            "1\u{FE0F}\u{20E3}",   // keycap
            "\u{5F8C}\u{E0100}",   // an ideographic variation sequence
            "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}", // Persian ZWNJ
            "\u{915}\u{94D}\u{200D}\u{937}", // Devanagari: a joiner after a virama
            "\u{182A}\u{180B}",    // Mongolian: a free variation selector
            "Team 🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}\u{200D}🔥",
        ] {
            assert_eq!(clean_line(fine), Ok(fine.to_string()), "{fine:?}");
        }
        for (bad, found) in [
            ("\u{200D}Gold", "U+200D, a joiner"),
            ("Gold\u{200D}", "U+200D, a joiner"),
            ("Gold \u{200C}Star", "U+200C, a joiner"),
            ("Gold\u{200C} Star", "U+200C, a joiner"),
            ("Gold\u{200D}\u{200D}Star", "U+200D, a joiner"),
            ("\u{2800}\u{200D}\u{2800}", "U+200D, a joiner"),
            ("\u{FE0F}Gold", "U+FE0F, a variation selector"),
            ("Gold \u{FE0F}", "U+FE0F, a variation selector"),
            ("Gold\u{FE0F}\u{FE0F}", "U+FE0F, a variation selector"),
            ("Gold\u{200D}\u{FE0F}", "U+200D, a joiner"),
            ("\u{E0100}", "U+E0100, a variation selector"),
        ] {
            let err = clean_line(bad).unwrap_err();
            assert!(err.starts_with(INVISIBLE_OR_CONTROL), "{bad:?}: {err}");
            assert!(err.contains(found), "{bad:?}: {err}");
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
        assert!(is_blank("\u{2800}"));
        assert!(is_blank(
            "\u{2800} \u{2800}\u{115F}\u{1160}\u{180E}\u{E0041}"
        ));
        assert!(!is_blank("\u{200D}a"));
        assert!(!is_blank("\u{301}"));
        assert!(!is_blank("\u{2800}a"));
    }

    #[test]
    fn a_line_must_show_something() {
        assert_eq!(blank_line("  "), Some("must not be empty"));
        assert_eq!(blank_line("\u{2800}"), Some(NOTHING_VISIBLE));
        assert_eq!(blank_line("\u{2800} \u{2800}"), Some(NOTHING_VISIBLE));
        assert_eq!(blank_line("⠁"), None);
        // A braille blank between braille letters is fine.
        assert_eq!(clean_line("⠁\u{2800}⠃").map(|t| blank_line(&t)), Ok(None));
    }

    #[test]
    fn the_key_tells_subdivision_flags_apart() {
        let england = "Fan 🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        let scotland = "Fan 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert_ne!(comparison_key(england), comparison_key(scotland));
        assert_ne!(comparison_key(england), comparison_key("Fan 🏴"));
        assert_eq!(
            comparison_key(england),
            comparison_key(&england.to_uppercase())
        );
        // Loose tags are still dropped.
        assert_eq!(
            comparison_key("Fan 🏴\u{E0067}\u{E0062}"),
            comparison_key("Fan 🏴")
        );
    }
}

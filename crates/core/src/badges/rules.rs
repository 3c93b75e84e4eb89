//! The rules a badge must satisfy (docs/product.md §2), as parsers: raw input in, a valid badge or
//! the list of every broken rule out. The dashboard and the JSON API both call these.

use super::color::{self, Color};
use super::icon::Icon;
use crate::text;

pub use super::fields::{Field, FieldError, Rule};

pub const TITLE_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1500;

/// A trimmed title of at most 100 characters, in NFC, with something visible and without
/// control or invisible characters (see [`crate::text::clean_line`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(input: &str) -> Result<Title, FieldError> {
        let t = text::clean_line(input)
            .map_err(|message| FieldError::new(Field::Title, Rule::Format, message))?;
        if t.is_empty() {
            return Err(FieldError::new(
                Field::Title,
                Rule::Required,
                "must not be empty",
            ));
        }
        if text::is_blank(&t) {
            return Err(FieldError::new(
                Field::Title,
                Rule::Format,
                text::NOTHING_VISIBLE,
            ));
        }
        if t.chars().count() > TITLE_MAX {
            return Err(FieldError::new(
                Field::Title,
                Rule::MaxLength,
                format!("must be at most {TITLE_MAX} characters"),
            ));
        }
        Ok(Title(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness is checked on: titles differing only in case, in invisible
    /// characters, in Unicode form or in spacing clash (see [`text::comparison_key`]).
    pub fn unique_key(&self) -> String {
        text::comparison_key(&self.0)
    }

    /// The slug stem derived from the title.
    pub fn slug_base(&self) -> String {
        crate::slug::slugify(&self.0, "badge")
    }
}

/// A trimmed description of at most 1,500 characters, in NFC; it may hold line breaks and
/// tabs but no other control character and no bidirectional formatting character.
pub fn parse_description(input: &str) -> Result<String, FieldError> {
    let d = text::clean_lines(input)
        .map_err(|message| FieldError::new(Field::Description, Rule::Format, message))?;
    if d.chars().count() > DESCRIPTION_MAX {
        return Err(FieldError::new(
            Field::Description,
            Rule::MaxLength,
            format!("must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(d)
}

/// Everything a badge editor or API call submits, as raw text.
#[derive(Debug, Clone, Default)]
pub struct BadgeInput {
    pub title: String,
    pub description: String,
    pub background_color: String,
    pub text_color: String,
    pub icon: String,
    pub permissions_enabled: bool,
    pub self_assignable: bool,
    /// Whole days an assignment lasts; empty: until it is taken away.
    pub valid_for_days: String,
}

/// A badge's fields after every rule passed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidBadge {
    pub title: Title,
    pub description: String,
    pub background_color: Color,
    pub text_color: Color,
    pub icon: Icon,
    pub permissions_enabled: bool,
    pub self_assignable: bool,
    pub valid_for_days: Option<i32>,
}

/// The longest validity a badge can have: a hundred years.
pub const VALID_FOR_DAYS_MAX: i32 = 36_500;

/// "How many days an assignment lasts": empty for good, else a whole number of days.
pub fn parse_valid_for_days(text: &str) -> Result<Option<i32>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(days) if (1..=VALID_FOR_DAYS_MAX).contains(&days) => Ok(Some(days)),
        _ => Err(FieldError::new(
            Field::ValidForDays,
            Rule::Format,
            format!(
                "must be a whole number of days from 1 to {VALID_FOR_DAYS_MAX}, or empty for a \
                 badge members keep until it is taken away"
            ),
        )),
    }
}

/// A badge that unlocks pages cannot be one that members give themselves: anyone could then
/// open the pages.
pub fn check_access_flags(
    permissions_enabled: bool,
    self_assignable: bool,
) -> Result<(), FieldError> {
    if permissions_enabled && self_assignable {
        Err(FieldError::new(
            Field::SelfAssignable,
            Rule::Other,
            "a badge that grants page permissions cannot also be self-assignable",
        ))
    } else {
        Ok(())
    }
}

impl BadgeInput {
    /// Checks every rule and reports every broken one, not only the first.
    pub fn parse(&self) -> Result<ValidBadge, Vec<FieldError>> {
        let title = Title::parse(&self.title);
        let description = parse_description(&self.description);
        let background = Color::parse(
            Field::BackgroundColor,
            &self.background_color,
            color::DEFAULT_BACKGROUND,
        );
        let text = Color::parse(Field::TextColor, &self.text_color, color::DEFAULT_TEXT);
        let icon = Icon::parse(&self.icon);
        let combination = check_access_flags(self.permissions_enabled, self.self_assignable);
        let validity = parse_valid_for_days(&self.valid_for_days);
        match (
            title,
            description,
            background,
            text,
            icon,
            combination,
            validity,
        ) {
            (
                Ok(title),
                Ok(description),
                Ok(background_color),
                Ok(text_color),
                Ok(icon),
                Ok(()),
                Ok(valid_for_days),
            ) => Ok(ValidBadge {
                title,
                description,
                background_color,
                text_color,
                icon,
                permissions_enabled: self.permissions_enabled,
                self_assignable: self.self_assignable,
                valid_for_days,
            }),
            (title, description, background, text, icon, combination, validity) => Err([
                title.err(),
                description.err(),
                background.err(),
                text.err(),
                icon.err(),
                combination.err(),
                validity.err(),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str) -> BadgeInput {
        BadgeInput {
            title: title.into(),
            ..BadgeInput::default()
        }
    }

    #[test]
    fn title_is_trimmed_and_limited() {
        assert_eq!(
            Title::parse("  Gold  ").map(|t| t.0),
            Ok("Gold".to_string())
        );
        assert_eq!(Title::parse("   ").unwrap_err().rule, Rule::Required);
        assert!(Title::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            Title::parse(&"a".repeat(101)).unwrap_err().rule,
            Rule::MaxLength
        );
    }

    #[test]
    fn title_key_ignores_case() {
        let a = Title::parse("Gold Star").map(|t| t.unique_key());
        let b = Title::parse("gOLD sTAR").map(|t| t.unique_key());
        assert_eq!(a, b);
    }

    #[test]
    fn titles_refuse_control_and_invisible_characters() {
        for bad in [
            "Gold\u{0}",
            "Gold\u{7}Star",
            "Gold\nStar",
            "Gold\u{85}Star",
            "Gold\u{200B}",
            "\u{FEFF}Gold",
            "Gold\u{2060}Star",
            "Gold\u{202E}ratS",
            "\u{2066}Gold\u{2069}",
            "Gold\u{200E}",
            "Gold\u{061C}",
            "\u{115F}",
            "Gold\u{1160}",
            "\u{3164}",
            "Gold\u{180E}Star",
            "Gold\u{E0041}",
            "Gold\u{AD}Star",
            "\u{200D}\u{FE0F}",
        ] {
            let err = Title::parse(bad).unwrap_err();
            assert_eq!(err.rule, Rule::Format, "{bad:?}");
            assert!(
                err.message.contains("invisible or control characters"),
                "{bad:?}: {}",
                err.message
            );
        }
        // Joiners and variation selectors belong to scripts and emoji.
        assert!(Title::parse("\u{1F469}\u{200D}\u{1F680} Crew").is_ok());
        assert!(Title::parse("\u{2764}\u{FE0F} Fan").is_ok());
    }

    #[test]
    fn titles_are_stored_composed_and_invisible_only_is_empty() {
        let title = Title::parse("Cafe\u{301} Regular").map(|t| t.0);
        assert_eq!(title, Ok("Caf\u{e9} Regular".to_string()));
        for blank in ["\u{2800}", "\u{2800}\u{3000}\u{2800}"] {
            let err = Title::parse(blank).unwrap_err();
            assert_eq!(err.rule, Rule::Format, "{blank:?}");
            assert_eq!(err.message, "must contain at least one visible character");
        }
    }

    #[test]
    fn title_key_ignores_invisible_characters_and_normal_forms() {
        let key = |s: &str| Title::parse(s).map(|t| t.unique_key());
        let plain = key("Founding Member");
        for twin in [
            "found\u{200C}ing member",
            "Founding Mem\u{FE0F}ber",
            "FOUNDING\u{A0}MEMBER",
            "Founding  Member",
            "\u{FF26}ounding Member",
        ] {
            assert_eq!(key(twin), plain, "{twin:?}");
        }
        assert_eq!(key("Caf\u{e9}"), key("CAFE\u{301}"));
        assert_eq!(
            key("\u{39F}\u{3A3}\u{39F}\u{3A3}"),
            key("\u{3BF}\u{3C3}\u{3BF}\u{3C3}")
        );
        assert_ne!(key("Gold"), key("Gold Star"));
    }

    #[test]
    fn badge_slugs_fall_back_to_badge() {
        let slug = |s: &str| Title::parse(s).map(|t| t.slug_base()).unwrap_or_default();
        assert_eq!(slug("Top Contributor 2026!"), "top-contributor-2026");
        assert_eq!(slug("★★★"), "badge");
    }

    #[test]
    fn description_is_limited_to_1500_characters() {
        assert!(parse_description(&"x".repeat(1500)).is_ok());
        let err = parse_description(&"x".repeat(1501)).unwrap_err();
        assert_eq!((err.field, err.rule), (Field::Description, Rule::MaxLength));
    }

    #[test]
    fn descriptions_keep_line_breaks_but_refuse_other_controls() {
        assert_eq!(
            parse_description(" Line one\r\nLine\ttwo \n"),
            Ok("Line one\r\nLine\ttwo".to_string())
        );
        assert_eq!(
            parse_description("Cafe\u{301}"),
            Ok("Caf\u{e9}".to_string())
        );
        for bad in ["a\u{0}b", "a\u{1b}[31mb", "a\u{202E}b", "a\u{2067}b"] {
            let err = parse_description(bad).unwrap_err();
            assert_eq!((err.field, err.rule), (Field::Description, Rule::Format));
        }
    }

    #[test]
    fn defaults_apply_to_empty_colours() {
        let badge = input("Gold").parse().expect("valid");
        assert_eq!(badge.background_color.hex(), "#796EFF");
        assert_eq!(badge.text_color.hex(), "#FFFFFF");
        assert_eq!(badge.icon, Icon::None);
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let bad = BadgeInput {
            title: "".into(),
            description: "x".repeat(1501),
            background_color: "red".into(),
            text_color: "#12345".into(),
            icon: "javascript:alert(1)".into(),
            permissions_enabled: true,
            self_assignable: true,
            valid_for_days: "0".into(),
        };
        let fields: Vec<Field> = bad.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                Field::Title,
                Field::Description,
                Field::BackgroundColor,
                Field::TextColor,
                Field::Icon,
                Field::SelfAssignable,
                Field::ValidForDays
            ]
        );
    }

    #[test]
    fn a_validity_is_a_whole_number_of_days_or_nothing() {
        assert_eq!(parse_valid_for_days(""), Ok(None));
        assert_eq!(parse_valid_for_days(" 30 "), Ok(Some(30)));
        assert_eq!(parse_valid_for_days("36500"), Ok(Some(VALID_FOR_DAYS_MAX)));
        for bad in ["0", "-1", "36501", "1.5", "two", "99999999999"] {
            assert!(parse_valid_for_days(bad).is_err(), "{bad:?}");
        }
    }
}

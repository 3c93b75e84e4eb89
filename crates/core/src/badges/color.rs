//! Colours: the `#RRGGBB` rule and WCAG contrast.

use super::fields::{Field, FieldError, Rule};

/// A validated colour, always `#RRGGBB` in uppercase, so it is safe to put into CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color([u8; 3]);

/// The modelled default a badge gets when no background is given (the API keeps it, for
/// wire compatibility), although white text on it is under 4.5:1.
pub const DEFAULT_BACKGROUND: Color = Color([0x79, 0x6E, 0xFF]);
pub const DEFAULT_TEXT: Color = Color([0xFF, 0xFF, 0xFF]);
/// Where the dashboard's editor starts a new badge: the same hue, dark enough for white text.
pub const EDITOR_BACKGROUND: Color = Color([0x4F, 0x46, 0xE5]);
pub const BLACK: Color = Color([0, 0, 0]);
pub const WHITE: Color = Color([0xFF, 0xFF, 0xFF]);
/// WCAG AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// Below this (WCAG's minimum for large text) the dashboard asks before saving a badge.
pub const CONFIRM_BELOW: f64 = 3.0;

impl Color {
    /// Parses `#RRGGBB` in any letter case; an empty value means `default`.
    pub fn parse(field: Field, input: &str, default: Color) -> Result<Color, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(default);
        }
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
        let bad = || FieldError::new(field, Rule::Format, "must be a colour like #796EFF");
        let hex = hex.ok_or_else(bad)?;
        let mut rgb = [0u8; 3];
        for (i, byte) in rgb.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).map_err(|_| bad())?;
        }
        Ok(Color(rgb))
    }

    pub fn hex(&self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0[0], self.0[1], self.0[2])
    }

    fn relative_luminance(&self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    /// The WCAG contrast ratio between two colours, from 1 to 21.
    pub fn contrast(&self, other: &Color) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }

    /// Black or white, whichever reads better on this background.
    pub fn best_text(&self) -> Color {
        if self.contrast(&BLACK) >= self.contrast(&WHITE) {
            BLACK
        } else {
            WHITE
        }
    }
}

impl std::fmt::Display for Color {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

/// What the editor says about a pair of colours.
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastAdvice {
    pub ratio: f64,
    pub sufficient: bool,
    pub better_text: Color,
    pub better_ratio: f64,
}

pub fn advise(background: Color, text: Color) -> ContrastAdvice {
    let ratio = background.contrast(&text);
    let better_text = background.best_text();
    ContrastAdvice {
        ratio,
        sufficient: ratio >= MIN_CONTRAST,
        better_text,
        better_ratio: background.contrast(&better_text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Color {
        Color::parse(Field::TextColor, s, BLACK).unwrap_or(Color([1, 2, 3]))
    }

    #[test]
    fn normalises_to_uppercase_and_defaults_when_empty() {
        assert_eq!(c("#a1b2c3").hex(), "#A1B2C3");
        assert_eq!(
            Color::parse(Field::BackgroundColor, "  ", DEFAULT_BACKGROUND).map(|c| c.hex()),
            Ok("#796EFF".to_string())
        );
    }

    #[test]
    fn refuses_anything_but_six_hex_digits() {
        for bad in [
            "red",
            "#FFF",
            "#GGGGGG",
            "796EFF",
            "#796EFF;x",
            "#796EF\u{e9}",
            "url(x)",
        ] {
            let err = Color::parse(Field::BackgroundColor, bad, BLACK).unwrap_err();
            assert_eq!(err.field, Field::BackgroundColor);
            assert_eq!(err.rule, Rule::Format);
        }
    }

    #[test]
    fn contrast_matches_wcag_examples() {
        assert!((c("#000000").contrast(&c("#FFFFFF")) - 21.0).abs() < 0.01);
        assert!((c("#777777").contrast(&c("#FFFFFF")) - 4.48).abs() < 0.01);
        assert_eq!(c("#FFFF00").best_text(), BLACK);
        assert_eq!(c("#000080").best_text(), WHITE);
        let advice = advise(c("#FFD700"), c("#FFFFFF"));
        assert!(!advice.sufficient);
        assert_eq!(advice.better_text, BLACK);
        assert!(advise(DEFAULT_BACKGROUND, DEFAULT_TEXT).ratio < 4.5);
        assert!(advise(EDITOR_BACKGROUND, DEFAULT_TEXT).sufficient);
    }
}

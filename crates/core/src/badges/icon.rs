//! Badge icons: a built-in set shipped with Insignia, uploaded SVGs (sanitised), or an
//! absolute http(s) URL. Each has one canonical text form, which is what is stored and
//! what the API returns.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use super::fields::{Field, FieldError, Rule};

/// The built-in icons' files (`crates/core/icons/`), compiled in.
#[derive(rust_embed::RustEmbed)]
#[folder = "icons/"]
#[include = "*.svg"]
struct BuiltinFiles;

/// A built-in icon's file as shipped (`star.svg`), which the web serves under `/static/icons/`.
pub fn builtin_file(file_name: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    BuiltinFiles::get(file_name).map(|file| file.data)
}

pub const URL_MAX: usize = 2048;
pub const UPLOAD_MAX_BYTES: usize = 250 * 1024;
const BUILTIN_PREFIX: &str = "/static/icons/";
const UPLOAD_PREFIX: &str = "/icons/";
/// The namespaces an uploaded SVG may declare: SVG's, XLink's and XML's.
const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
const XLINK_NAMESPACE: &str = "http://www.w3.org/1999/xlink";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Icon {
    None,
    Builtin(String),
    Upload(String),
    Url(String),
}

/// The built-in icons by name, each as inline SVG markup ready to sit inside a badge.
static BUILTIN: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    BuiltinFiles::iter()
        .filter_map(|path| {
            let name = path.strip_suffix(".svg")?.to_string();
            let file = BuiltinFiles::get(&path)?;
            let svg = String::from_utf8_lossy(&file.data);
            let start = svg.find("<svg")?;
            let markup = svg[start..]
                .replacen("<svg", "<svg aria-hidden=\"true\" focusable=\"false\"", 1)
                .replace("width=\"24\"", "")
                .replace("height=\"24\"", "");
            Some((name, markup))
        })
        .collect()
});

/// All built-in icons as one SVG sprite of `<symbol>`s, and the address it is served at (the
/// name carries a hash of the content, so browsers may keep it for a year). Pages draw a
/// built-in icon as a `<use>` of its symbol: a page of fifty badges sends each drawing once,
/// as one cached file, instead of fifty inline copies.
pub struct Sprite {
    pub href: String,
    pub body: String,
    /// Each icon's markup inside a badge: a reference into the sprite.
    uses: BTreeMap<String, String>,
}

pub static SPRITE: LazyLock<Sprite> = LazyLock::new(|| {
    let mut body = String::from("<svg xmlns=\"http://www.w3.org/2000/svg\">");
    for (name, markup) in BUILTIN.iter() {
        // `<svg aria-hidden=… viewBox=… fill=… stroke=…>paths</svg>` becomes
        // `<symbol id=name viewBox=… fill=… stroke=…>paths</symbol>`.
        let Some(open_end) = markup.find('>') else {
            continue;
        };
        let attributes = markup[4..open_end]
            .replace("aria-hidden=\"true\"", "")
            .replace("focusable=\"false\"", "")
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        let inner = markup[open_end + 1..]
            .rsplit_once("</svg>")
            .map_or("", |(inner, _)| inner);
        body.push_str(&format!(
            "<symbol id=\"{name}\" {attributes}>{inner}</symbol>"
        ));
    }
    body.push_str("</svg>");
    // FNV-1a: a stable fingerprint of the content for the file name.
    let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let href = format!("/static/sprite-{:016x}.svg", hash);
    let uses = BUILTIN
        .keys()
        .map(|name| {
            let markup = format!(
                "<svg aria-hidden=\"true\" focusable=\"false\"><use href=\"{href}#{name}\"></use></svg>"
            );
            (name.clone(), markup)
        })
        .collect();
    Sprite { href, body, uses }
});

/// A built-in icon drawn from the sprite (see [`SPRITE`]).
pub fn builtin_use(name: &str) -> Option<&'static str> {
    SPRITE.uses.get(name).map(String::as_str)
}

pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.keys().map(String::as_str)
}

pub fn builtin_svg(name: &str) -> Option<&'static str> {
    BUILTIN.get(name).map(String::as_str)
}

impl Icon {
    /// Accepts the canonical forms, plus a bare built-in name ("star").
    pub fn parse(input: &str) -> Result<Icon, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(Icon::None);
        }
        let builtin = s
            .strip_prefix(BUILTIN_PREFIX)
            .and_then(|rest| rest.strip_suffix(".svg"))
            .unwrap_or(s);
        if BUILTIN.contains_key(builtin) {
            return Ok(Icon::Builtin(builtin.to_string()));
        }
        if let Some(id) = s
            .strip_prefix(UPLOAD_PREFIX)
            .and_then(|rest| rest.strip_suffix(".svg"))
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        {
            return Ok(Icon::Upload(id.to_string()));
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            if s.chars().count() > URL_MAX {
                return Err(FieldError::new(
                    Field::Icon,
                    Rule::MaxLength,
                    format!("URL must be at most {URL_MAX} characters"),
                ));
            }
            let has_host = s.split_once("://").is_some_and(|(_, rest)| {
                rest.split(['/', '?', '#'])
                    .next()
                    .is_some_and(|h| !h.is_empty())
            });
            let clean = !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c));
            if has_host && clean {
                return Ok(Icon::Url(s.to_string()));
            }
        }
        Err(FieldError::new(
            Field::Icon,
            Rule::Format,
            "must be a built-in icon, an uploaded SVG, or an http:// or https:// URL",
        ))
    }

    /// The stored and returned text form.
    pub fn canonical(&self) -> String {
        match self {
            Icon::None => String::new(),
            Icon::Builtin(name) => format!("{BUILTIN_PREFIX}{name}.svg"),
            Icon::Upload(id) => format!("{UPLOAD_PREFIX}{id}.svg"),
            Icon::Url(url) => url.clone(),
        }
    }

    /// Parses a stored value; stored values were validated on the way in.
    pub fn from_stored(s: &str) -> Icon {
        Icon::parse(s).unwrap_or(Icon::None)
    }
}

/// Cleans an uploaded SVG: keeps only drawing elements and presentation attributes, so no
/// script, event handler, `foreignObject`, style sheet or external reference survives, and no
/// character XML does not allow (control characters), and no namespace but SVG's. What is
/// left must read as well-formed XML (it is served as `image/svg+xml`), or the file is refused.
pub fn sanitize_svg(bytes: &[u8]) -> Result<String, FieldError> {
    let bad = |m: &str| FieldError::new(Field::Icon, Rule::Format, m.to_string());
    if bytes.len() > UPLOAD_MAX_BYTES {
        return Err(FieldError::new(
            Field::Icon,
            Rule::MaxLength,
            "uploaded SVG must be at most 250 KB",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad("uploaded file is not a text SVG"))?;
    let text: String = text.chars().filter(|&c| is_xml_char(c)).collect();
    if !text.contains("<svg") {
        return Err(bad("uploaded file is not an SVG image"));
    }
    let tags: HashSet<&str> = [
        "svg",
        "g",
        "path",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "rect",
        "title",
        "desc",
        "defs",
        "lineargradient",
        "radialgradient",
        "stop",
        "clippath",
        "mask",
        "symbol",
        "linearGradient",
        "radialGradient",
        "clipPath",
    ]
    .into_iter()
    .collect();
    let attributes: HashSet<&str> = [
        "xmlns",
        "viewBox",
        "viewbox",
        "width",
        "height",
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "d",
        "points",
        "fill",
        "fill-opacity",
        "fill-rule",
        "clip-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-opacity",
        "opacity",
        "transform",
        "id",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "preserveAspectRatio",
        "clip-path",
        "mask",
        "class",
        "version",
    ]
    .into_iter()
    .collect();
    let clean = ammonia::Builder::default()
        .tags(tags)
        .generic_attributes(attributes)
        .tag_attributes(Default::default())
        .url_schemes(HashSet::new())
        .link_rel(None)
        .strip_comments(true)
        .clean_content_tags(
            ["script", "style", "foreignObject", "foreignobject"]
                .into_iter()
                .collect(),
        )
        .attribute_filter(|_element, attribute, value| {
            // A character reference (`&#1;`) can still bring a control character in.
            let value: String = value.chars().filter(|&c| is_xml_char(c)).collect();
            // Another default namespace would make the drawing something other than SVG.
            if attribute == "xmlns" && value != SVG_NAMESPACE {
                return None;
            }
            only_local_references(attribute, &value).then_some(value.into())
        })
        .clean(&text)
        .to_string()
        .chars()
        .filter(|&c| is_xml_char(c))
        .collect::<String>()
        // The HTML serialiser writes a no-break space as `&nbsp;`, which XML does not know.
        .replace("&nbsp;", "&#160;");
    let start = clean
        .find("<svg")
        .ok_or_else(|| bad("uploaded file has no <svg> element"))?;
    let mut svg = clean[start..].to_string();
    if !svg.starts_with("<svg xmlns=") && !svg[..svg.find('>').unwrap_or(0)].contains("xmlns=") {
        svg = svg.replacen("<svg", &format!("<svg xmlns=\"{SVG_NAMESPACE}\""), 1);
    }
    if !is_clean_xml(&svg) {
        return Err(bad("uploaded file is not a well-formed SVG image"));
    }
    Ok(svg)
}

/// Characters XML 1.0 allows, less the control characters it discourages (DEL and C1):
/// tabs and line breaks, and no other control character, nor U+FFFE or U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Whether `svg` reads as one well-formed XML document (no DTD) whose elements are all SVG's
/// and in which no namespace but SVG's, XLink's and XML's is declared.
fn is_clean_xml(svg: &str) -> bool {
    let Ok(document) = roxmltree::Document::parse(svg) else {
        return false;
    };
    let known = [SVG_NAMESPACE, XLINK_NAMESPACE, roxmltree::NS_XML_URI];
    document.descendants().all(|node| {
        (!node.is_element() || node.tag_name().namespace() == Some(SVG_NAMESPACE))
            && node.namespaces().all(|n| known.contains(&n.uri()))
    })
}

/// Whether an attribute refers to nothing but this same document. A link (`href`, which
/// also covers `xlink:href`) must be a `#fragment`; any other value may use `url(#fragment)`
/// but no other `url(…)` and no other function that fetches (`image-set(…)` and the like), in
/// any spelling CSS allows: any case, `\HH` and `\c` escapes, comments between the letters.
/// The attribute is dropped otherwise (none of `style`, `<style>` or `<use>` is allowed, so
/// presentation attributes are the only CSS there is).
fn only_local_references(attribute: &str, value: &str) -> bool {
    if attribute.eq_ignore_ascii_case("href") {
        return value.trim().starts_with('#');
    }
    if !value.contains(['(', '\\', '/', '@']) {
        return true;
    }
    // Read three ways, so that no reading a browser could take hides a reference: comments
    // removed before or after escapes are undone, and kept (inside an unquoted url(…) a
    // comment is part of the address).
    let readings = [
        css_unescape(value),
        css_unescape(&strip_css_comments(value)),
        strip_css_comments(&css_unescape(value)),
    ];
    readings.iter().all(|reading| {
        let text: String = reading
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let fetches = [
            "image(",
            "image-set(",
            "cross-fade(",
            "element(",
            "src(",
            "@import",
        ];
        !fetches.iter().any(|f| text.contains(f))
            && text
                .split("url(")
                .skip(1)
                .all(|argument| argument.trim_start_matches(['"', '\'']).starts_with('#'))
    })
}

/// Undoes CSS escapes: `\` and 1–6 hex digits (plus one optional whitespace character),
/// or `\` and any other character, which stands for itself.
fn css_unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut code = 0u32;
        let mut digits = 0;
        while digits < 6 {
            match chars.peek().and_then(|d| d.to_digit(16)) {
                Some(d) => {
                    code = code * 16 + d;
                    digits += 1;
                    chars.next();
                }
                None => break,
            }
        }
        if digits == 0 {
            match chars.next() {
                // An escaped line break continues the line.
                Some('\n' | '\r' | '\x0c') => {}
                Some(other) => out.push(other),
                None => out.push('\u{FFFD}'),
            }
            continue;
        }
        out.push(
            char::from_u32(code)
                .filter(|&c| c != '\0')
                .unwrap_or('\u{FFFD}'),
        );
        match chars.peek() {
            Some('\r') => {
                chars.next();
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            Some(' ' | '\t' | '\n' | '\x0c') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

/// Removes CSS comments (`/* … */`; an unclosed one runs to the end).
fn strip_css_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// An uploaded (sanitised) SVG drawn in `color`: every `currentColor`, in any letter case,
/// becomes it. An uploaded icon is shown as an `<img>`, which inherits no colour from the page,
/// so line icons drawn with `currentColor` (Lucide, Feather, Heroicons) would be black on any
/// badge; drawn this way they take the badge's text colour, as the built-in icons do.
pub fn in_color(svg: &str, color: &super::Color) -> String {
    const NAME: &str = "currentcolor";
    let hex = color.hex();
    let lower = svg.to_ascii_lowercase();
    let mut out = String::with_capacity(svg.len());
    let mut from = 0;
    while let Some(at) = lower[from..].find(NAME) {
        out.push_str(&svg[from..from + at]);
        out.push_str(&hex);
        from += at + NAME.len();
    }
    out.push_str(&svg[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_line_icons_take_the_colour_asked_for() {
        let color = super::super::color::Color::parse(
            super::super::Field::TextColor,
            "#ffcc00",
            super::super::color::BLACK,
        )
        .expect("a colour");
        let svg =
            r#"<svg stroke="currentColor" fill="none"><path style="fill:CURRENTCOLOR"/></svg>"#;
        assert_eq!(
            in_color(svg, &color),
            r##"<svg stroke="#FFCC00" fill="none"><path style="fill:#FFCC00"/></svg>"##
        );
        assert_eq!(in_color("<svg/>", &color), "<svg/>");
    }

    #[test]
    fn ships_at_least_24_builtin_icons() {
        assert!(builtin_names().count() >= 24);
        let star = builtin_svg("star").unwrap_or_default();
        assert!(star.starts_with("<svg aria-hidden=\"true\""));
    }

    #[test]
    fn parses_every_kind_and_round_trips() {
        let id = uuid::Uuid::new_v4().to_string();
        let cases = [
            ("", Icon::None),
            ("star", Icon::Builtin("star".into())),
            ("/static/icons/star.svg", Icon::Builtin("star".into())),
            (&format!("/icons/{id}.svg"), Icon::Upload(id.clone())),
            (
                "https://example.com/a.png",
                Icon::Url("https://example.com/a.png".into()),
            ),
        ];
        for (text, icon) in cases {
            let parsed = Icon::parse(text);
            assert_eq!(parsed, Ok(icon.clone()), "{text}");
            assert_eq!(Icon::parse(&icon.canonical()), Ok(icon));
        }
    }

    #[test]
    fn refuses_other_schemes_paths_and_long_urls() {
        for bad in [
            "javascript:alert(1)",
            "data:image/svg+xml,<svg/>",
            "/etc/passwd",
            "ftp://example.com/x.svg",
            "https://",
            "https://ex ample.com/",
            "https://example.com/\"onload=",
            "not-a-builtin",
        ] {
            assert_eq!(Icon::parse(bad).unwrap_err().rule, Rule::Format, "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert_eq!(Icon::parse(&long).unwrap_err().rule, Rule::MaxLength);
    }

    #[test]
    fn sanitising_removes_scripts_handlers_and_foreign_objects() {
        let evil = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><foreignObject><div>hi</div></foreignObject><a href="javascript:alert(3)"><circle cx="5" cy="5" r="4" fill="red" onclick="alert(4)"/></a><image href="https://evil.example/x.png"/></svg>"#;
        let clean = sanitize_svg(evil).unwrap_or_default();
        assert!(clean.starts_with("<svg"), "{clean}");
        assert!(clean.contains("viewBox=\"0 0 10 10\""), "{clean}");
        assert!(
            clean.contains("xmlns=\"http://www.w3.org/2000/svg\""),
            "{clean}"
        );
        assert!(clean.contains("<circle"), "{clean}");
        for gone in [
            "script",
            "alert",
            "onload",
            "onclick",
            "foreignObject",
            "href",
            "evil",
            "<image",
        ] {
            assert!(!clean.contains(gone), "{gone} survived in {clean}");
        }
    }

    #[test]
    fn refuses_non_svg_and_oversized_uploads() {
        assert!(sanitize_svg(b"GIF89a").is_err());
        assert!(sanitize_svg(&[0xff, 0xfe, 0x00]).is_err());
        let big = format!("<svg>{}</svg>", " ".repeat(UPLOAD_MAX_BYTES));
        assert_eq!(
            sanitize_svg(big.as_bytes()).unwrap_err().rule,
            Rule::MaxLength
        );
    }

    #[test]
    fn namespaces_other_than_svgs_are_dropped() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://evil.example/ns" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1"><g xmlns="http://www.w3.org/1999/xhtml"><rect x:foo="1" width="1"/></g></svg>"#;
        let clean = sanitize_svg(svg).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            clean,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><g><rect width="1"></rect></g></svg>"#
        );
        // A foreign default namespace on the root gives way to SVG's.
        let clean = sanitize_svg(br#"<svg xmlns="http://evil.example/ns"><rect width="1"/></svg>"#)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            clean,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"></rect></svg>"#
        );
        assert!(is_clean_xml(&clean));
    }

    #[test]
    fn control_characters_are_dropped_and_the_result_is_well_formed_xml() {
        let svg = "<svg><title>a\u{1}b&#2;c&#0;d\u{7F}e&#x85;f\u{FFFE}g&#xFFFF;h\u{A0}i</title><rect class=\"x\u{B}y&#27;z\" width=\"1\"/></svg>";
        let clean = sanitize_svg(svg.as_bytes()).unwrap_or_else(|e| panic!("{}", e.message));
        assert!(clean.chars().all(is_xml_char), "{clean:?}");
        assert!(!clean.contains("&nbsp;"), "{clean:?}");
        assert!(clean.contains("<title>abc"), "{clean:?}");
        assert!(clean.contains("h&#160;i</title>"), "{clean:?}");
        assert!(clean.contains(r#"class="xyz""#), "{clean:?}");
        assert!(roxmltree::Document::parse(&clean).is_ok(), "{clean:?}");
    }

    #[test]
    fn a_reference_spelt_with_a_control_character_is_still_dropped() {
        assert_dropped("fill", "u&#1;rl(https://evil.example/x)");
        assert_dropped("fill", "u\u{1}rl(https://evil.example/x)");
    }

    #[test]
    fn what_cannot_be_one_svg_document_is_refused() {
        let err = sanitize_svg(b"<svg><rect width=\"1\"/></svg><svg></svg>").unwrap_err();
        assert_eq!(err.message, "uploaded file is not a well-formed SVG image");
        assert!(!is_clean_xml(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://evil.example/ns"/>"#
        ));
        assert!(!is_clean_xml(
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\u{1}</svg>"
        ));
        assert!(is_clean_xml(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"/>"#
        ));
    }

    /// Sanitises an SVG whose one `<rect>` carries `attribute="value"`; returns the result.
    fn rect_with(attribute: &str, value: &str) -> String {
        let svg = format!(
            "<svg viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" {attribute}=\"{value}\"/></svg>"
        );
        sanitize_svg(svg.as_bytes()).unwrap_or_else(|e| panic!("{value}: {}", e.message))
    }

    /// The attribute carrying a non-local reference is dropped; the shape stays.
    fn assert_dropped(attribute: &str, value: &str) {
        let clean = rect_with(attribute, value);
        assert!(clean.contains("<rect"), "{value}: {clean}");
        assert!(clean.contains("width=\"10\""), "{value}: {clean}");
        assert!(
            !clean.contains(&format!("{attribute}=")),
            "{value}: {clean}"
        );
        assert!(!clean.contains("evil"), "{value}: {clean}");
    }

    #[test]
    fn references_to_other_documents_are_dropped() {
        assert_dropped("fill", "url(https://evil.example/#x)");
        assert_dropped("fill", "url( 'https://evil.example/x' )");
        assert_dropped("clip-path", "url(evil.svg#x)");
        assert_dropped("stroke", "url(#x) url(https://evil.example/y)");
        assert_dropped("fill", "url(https://evil.example/x");
        // An unquoted url(...) does not recognise comments: this one is the path "/**/#x".
        assert_dropped("fill", "url(/**/#x)");
    }

    #[test]
    fn references_in_upper_or_mixed_case_are_dropped() {
        assert_dropped("fill", "URL(https://evil.example/x)");
        assert_dropped("mask", "Url(https://evil.example/x)");
    }

    #[test]
    fn references_spelt_with_css_escapes_are_dropped() {
        assert_dropped("fill", r"\75rl(https://evil.example/x)");
        assert_dropped("fill", r"\000075 rl(https://evil.example/x)");
        assert_dropped("fill", r"\55 RL(https://evil.example/x)");
        assert_dropped("fill", r"u\rl(https://evil.example/x)");
        assert_dropped("stroke", r"\75\72\6c(https://evil.example/x)");
    }

    #[test]
    fn references_split_by_comments_are_dropped() {
        assert_dropped("fill", "u/**/rl(https://evil.example/x)");
        assert_dropped("fill", "ur/* x */l(https://evil.example/x)");
        assert_dropped("fill", "url/**/(https://evil.example/x)");
    }

    #[test]
    fn other_fetching_functions_are_dropped() {
        assert_dropped(
            "mask",
            "image-set(&quot;https://evil.example/x.png&quot; 1x)",
        );
        assert_dropped(
            "mask",
            "-webkit-image-set(&quot;https://evil.example/x.png&quot; 1x)",
        );
        assert_dropped("mask", "image(&quot;https://evil.example/x.png&quot;)");
    }

    #[test]
    fn local_fragment_references_stay_in_any_spelling() {
        for value in [
            "url(#grad)",
            "URL( '#grad' )",
            r"\75rl(#grad)",
            "url('#grad')",
        ] {
            let clean = rect_with("fill", value);
            assert!(clean.contains("fill="), "{value}: {clean}");
        }
    }

    #[test]
    fn only_fragment_links_and_no_style_sheets_survive() {
        let svg = br##"<svg><style>rect{fill:url(https://evil.example/a)}</style><defs><circle id="c" r="1"/></defs><use href="#c"/><use xlink:href="https://evil.example/x.svg#c"/><rect style="fill:url(https://evil.example/b)" width="1"/></svg>"##;
        let clean = sanitize_svg(svg).unwrap_or_default();
        assert!(clean.contains("<rect"), "{clean}");
        for gone in ["evil", "<style", "style=", "href"] {
            assert!(!clean.contains(gone), "{gone} survived in {clean}");
        }
    }
}

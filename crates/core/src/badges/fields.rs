//! What a badge's input can be wrong about, and how: the field, the kind of rule broken (the Wix
//! `violatedRule`) and the message shown beside the field. Every rule (`rules`, `color`,
//! `icon`) answers in these.

/// A badge field that input can be wrong about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Description,
    BackgroundColor,
    TextColor,
    Icon,
    SelfAssignable,
    ValidForDays,
}

impl Field {
    /// The HTML form field name (snake_case of the API name).
    pub fn form_name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::BackgroundColor => "background_color",
            Field::TextColor => "text_color",
            Field::Icon => "icon",
            Field::SelfAssignable => "self_assignable",
            Field::ValidForDays => "valid_for_days",
        }
    }

    /// The JSON API path of the field, as in a Wix `fieldViolations` entry.
    pub fn api_name(self) -> &'static str {
        match self {
            Field::Title => "badge.title",
            Field::Description => "badge.description",
            Field::BackgroundColor => "badge.backgroundColor",
            Field::TextColor => "badge.textColor",
            Field::Icon => "badge.icon",
            Field::SelfAssignable => "badge.selfAssignable",
            Field::ValidForDays => "badge.validForDays",
        }
    }
}

/// Which kind of rule was broken (the Wix `violatedRule` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Required,
    MaxLength,
    Format,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub rule: Rule,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, rule: Rule, message: impl Into<String>) -> Self {
        FieldError {
            field,
            rule,
            message: message.into(),
        }
    }
}

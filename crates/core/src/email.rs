//! The e-mail rule shared by admins and members: trimmed, lowercased, one `@`, a dotted domain.

pub const MAX_LEN: usize = 254;

/// A normalised e-mail address, or the reason it is not one.
pub fn parse(input: &str) -> Result<String, String> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("must not be empty".to_string());
    }
    let valid = email.chars().count() <= MAX_LEN
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"',;()[]\\".contains(c))
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if valid {
        Ok(email)
    } else {
        Err("must be an e-mail address like name@example.com".to_string())
    }
}

/// The domain of a normalised address (what follows the `@`), lowercased as the address is.
pub fn domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, domain)| domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            parse("  Ada@Example.COM "),
            Ok("ada@example.com".to_string())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "<a>@x.com",
            "a@x..com",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}

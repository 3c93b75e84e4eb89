//! What a rule says: the criteria a member must all meet to hold an automatic badge, and
//! whether the badge is taken away from members who stop meeting them. The serde shape is the
//! one the API extension speaks (docs/api.md) and the one `badge_rules.criteria` stores.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::BadgeId;

/// Most criteria one rule may have.
pub const CRITERIA_MAX: usize = 20;
/// Most badges or e-mail domains one criterion may list.
pub const LIST_MAX: usize = 50;
/// Largest number of days a criterion may count (a hundred years).
pub const DAYS_MAX: i64 = 36_500;
/// Largest "holds at least N badges".
pub const COUNT_MAX: i64 = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub criteria: Vec<Criterion>,
    /// Take the badge away from members who no longer match (off: once given, kept).
    #[serde(rename = "revoke")]
    pub take_away: bool,
}

/// One thing a member must meet. Dates are days in UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Criterion {
    JoinedBefore(Day),
    JoinedAfter(Day),
    JoinedAtLeastDaysAgo(i64),
    /// Trusted addresses only: entered or imported by an admin, never a member's own word.
    EmailDomainIn(Vec<String>),
    HoldsAll(Vec<BadgeId>),
    HoldsAny(Vec<BadgeId>),
    HoldsNone(Vec<BadgeId>),
    #[serde(rename_all = "camelCase")]
    HeldForAtLeastDays {
        badge_id: BadgeId,
        days: i64,
    },
    /// Counts the badges given by hand or by the API: automatic ones are left out, so that
    /// rules counting badges never depend on each other.
    BadgeCountAtLeast(i64),
    /// `true`: made their account themselves; `false`: added by an admin.
    SignedUp(bool),
}

/// A calendar day, written `2026-01-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub time::Date);

const DAY_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        time::Date::parse(text.trim(), DAY_FORMAT).ok().map(Day)
    }

    /// Its first moment (UTC).
    pub fn start(self) -> Timestamp {
        Timestamp::from_millis(
            (self.0.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        )
    }

    /// The first moment of the day after.
    pub fn end(self) -> Timestamp {
        self.start() + time::Duration::days(1)
    }

    /// Its last moment: an end "held through this day", which pages show as the day itself.
    pub fn last_moment(self) -> Timestamp {
        self.end() - time::Duration::milliseconds(1)
    }

    /// "1 January 2025".
    pub fn words(self) -> String {
        format!("{} {} {}", self.0.day(), self.0.month(), self.0.year())
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.format(DAY_FORMAT).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let text = String::deserialize(d)?;
        Day::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not a day written like 2026-01-01"))
        })
    }
}

/// What is wrong with a rule: the criterion (by position) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub index: Option<usize>,
    pub message: String,
}

/// An e-mail domain as a criterion lists it: lowercased, dotted, letters, digits and hyphens.
pub fn parse_domain(input: &str) -> Result<String, String> {
    let domain = input.trim().trim_start_matches('@').to_lowercase();
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if domain.contains('.') && domain.len() <= 253 && labels_ok {
        Ok(domain)
    } else {
        Err(format!(
            "{input:?} is not an e-mail domain like example.org"
        ))
    }
}

impl Criterion {
    /// The badges it reads.
    pub fn badges(&self) -> Vec<&BadgeId> {
        match self {
            Criterion::HoldsAll(ids) | Criterion::HoldsAny(ids) | Criterion::HoldsNone(ids) => {
                ids.iter().collect()
            }
            Criterion::HeldForAtLeastDays { badge_id, .. } => vec![badge_id],
            _ => Vec::new(),
        }
    }

    /// Whether time alone changes who meets it (so the schedule runs it).
    pub fn reads_time(&self) -> bool {
        matches!(
            self,
            Criterion::JoinedAtLeastDaysAgo(_) | Criterion::HeldForAtLeastDays { .. }
        )
    }

    fn check(&self) -> Result<(), String> {
        let days = |n: i64| {
            if (1..=DAYS_MAX).contains(&n) {
                Ok(())
            } else {
                Err(format!("the number of days must be from 1 to {DAYS_MAX}"))
            }
        };
        let list = |n: usize, what: &str| {
            if n == 0 {
                Err(format!("name at least one {what}"))
            } else if n > LIST_MAX {
                Err(format!("name at most {LIST_MAX} {what}s"))
            } else {
                Ok(())
            }
        };
        match self {
            Criterion::JoinedBefore(_) | Criterion::JoinedAfter(_) | Criterion::SignedUp(_) => {
                Ok(())
            }
            Criterion::JoinedAtLeastDaysAgo(n) => days(*n),
            Criterion::HeldForAtLeastDays { days: n, .. } => days(*n),
            Criterion::BadgeCountAtLeast(n) if (1..=COUNT_MAX).contains(n) => Ok(()),
            Criterion::BadgeCountAtLeast(_) => Err(format!(
                "the number of badges must be from 1 to {COUNT_MAX}"
            )),
            Criterion::EmailDomainIn(domains) => {
                list(domains.len(), "domain")?;
                for domain in domains {
                    if parse_domain(domain)? != *domain {
                        return Err(format!("write {domain:?} in lower case, without @"));
                    }
                }
                Ok(())
            }
            Criterion::HoldsAll(ids) | Criterion::HoldsAny(ids) | Criterion::HoldsNone(ids) => {
                list(ids.len(), "badge")
            }
        }
    }
}

impl Rule {
    /// Every problem of its own (the badges it names are checked against the site on save).
    pub fn check(&self) -> Result<(), Vec<Problem>> {
        let mut problems: Vec<Problem> = self
            .criteria
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                c.check().err().map(|message| Problem {
                    index: Some(i),
                    message,
                })
            })
            .collect();
        if self.criteria.len() > CRITERIA_MAX {
            problems.push(Problem {
                index: None,
                message: format!("a rule has at most {CRITERIA_MAX} criteria"),
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The badges it reads, each once.
    pub fn badges(&self) -> Vec<&BadgeId> {
        let mut ids: Vec<&BadgeId> = self.criteria.iter().flat_map(Criterion::badges).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    pub fn reads_time(&self) -> bool {
        self.criteria.iter().any(Criterion::reads_time)
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.criteria).unwrap_or_else(|_| "[]".to_string())
    }

    pub fn from_stored(criteria: &str, take_away: bool) -> Result<Rule, crate::Error> {
        Ok(Rule {
            criteria: serde_json::from_str(criteria).map_err(crate::Error::internal)?,
            take_away,
        })
    }

    /// In words, "given to members who joined before 1 January 2025 and hold “Mentor”". The
    /// public (`public`) is not told which e-mail domains count.
    pub fn words(&self, titles: &HashMap<BadgeId, String>, public: bool) -> String {
        let title = |id: &BadgeId| {
            format!(
                "“{}”",
                titles.get(id).map_or("a deleted badge", String::as_str)
            )
        };
        let titles_joined = |ids: &[BadgeId], word: &str| {
            let names: Vec<String> = ids.iter().map(title).collect();
            crate::text::joined(&names, word)
        };
        let parts: Vec<String> = self
            .criteria
            .iter()
            .map(|c| match c {
                Criterion::JoinedBefore(day) => format!("joined before {}", day.words()),
                Criterion::JoinedAfter(day) => format!("joined after {}", day.words()),
                Criterion::JoinedAtLeastDaysAgo(n) => {
                    format!(
                        "joined at least {} ago",
                        crate::text::count_of(*n as usize, "day", "days")
                    )
                }
                Criterion::EmailDomainIn(_) if public => {
                    "have an e-mail address at a domain the site chose".to_string()
                }
                Criterion::EmailDomainIn(domains) => format!(
                    "have an e-mail address an admin entered at {}",
                    crate::text::joined(domains, "or")
                ),
                Criterion::HoldsAll(ids) => format!("hold {}", titles_joined(ids, "and")),
                Criterion::HoldsAny(ids) => format!("hold {}", titles_joined(ids, "or")),
                Criterion::HoldsNone(ids) => format!("do not hold {}", titles_joined(ids, "or")),
                Criterion::HeldForAtLeastDays { badge_id, days } => format!(
                    "have held {} for at least {}",
                    title(badge_id),
                    crate::text::count_of(*days as usize, "day", "days")
                ),
                Criterion::BadgeCountAtLeast(n) => format!(
                    "hold at least {} given by hand",
                    crate::text::count_of(*n as usize, "badge", "badges")
                ),
                Criterion::SignedUp(true) => "signed up themselves".to_string(),
                Criterion::SignedUp(false) => "were added by the site's admins".to_string(),
            })
            .collect();
        let mut text = if parts.is_empty() {
            "Given to every member".to_string()
        } else {
            format!(
                "Given to members who {}",
                crate::text::joined(&parts, "and")
            )
        };
        if self.take_away {
            text.push_str(", and taken away from members who no longer do");
        }
        text.push('.');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_shape_reads_and_writes_every_criterion() {
        let json = serde_json::json!({"criteria": [
            {"joinedBefore": "2026-01-01"}, {"joinedAfter": "2020-02-29"},
            {"joinedAtLeastDaysAgo": 365}, {"emailDomainIn": ["example.org"]},
            {"holdsAll": ["a"]}, {"holdsAny": ["b"]}, {"holdsNone": ["c"]},
            {"heldForAtLeastDays": {"badgeId": "d", "days": 30}},
            {"badgeCountAtLeast": 3}, {"signedUp": true}
        ], "revoke": true});
        let rule: Rule = serde_json::from_value(json.clone()).expect("reads");
        assert_eq!(rule.criteria.len(), 10);
        assert!(rule.take_away && rule.reads_time());
        assert_eq!(serde_json::to_value(&rule).expect("writes"), json);
        assert_eq!(rule.check(), Ok(()));
        for bad in [
            serde_json::json!({"criteria": [{"joinedBefore": "2026-02-30"}], "revoke": false}),
            serde_json::json!({"criteria": [{"joinedSoon": 1}], "revoke": false}),
            serde_json::json!({"criteria": [{"signedUp": true, "holdsAll": []}], "revoke": false}),
            serde_json::json!({"criteria": [], "revoke": false, "extra": 1}),
        ] {
            assert!(
                serde_json::from_value::<Rule>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn checks_name_the_criterion_that_is_wrong() {
        let rule = Rule {
            criteria: vec![
                Criterion::SignedUp(true),
                Criterion::JoinedAtLeastDaysAgo(0),
                Criterion::EmailDomainIn(vec!["Example.org".into()]),
                Criterion::HoldsAny(vec![]),
            ],
            take_away: false,
        };
        let problems = rule.check().unwrap_err();
        let at: Vec<Option<usize>> = problems.iter().map(|p| p.index).collect();
        assert_eq!(at, [Some(1), Some(2), Some(3)]);
        assert_eq!(
            parse_domain(" @Corp.Example.ORG"),
            Ok("corp.example.org".into())
        );
        for bad in ["corp", "-a.org", "a..org", "a b.org", "ex_ample.org"] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn words_hide_domains_from_the_public() {
        let gold = BadgeId::from("g");
        let titles = HashMap::from([(gold.clone(), "Gold".to_string())]);
        let rule = Rule {
            criteria: vec![
                Criterion::JoinedBefore(Day::parse("2025-01-01").expect("day")),
                Criterion::EmailDomainIn(vec!["corp.org".into()]),
                Criterion::HoldsNone(vec![gold]),
            ],
            take_away: true,
        };
        assert_eq!(
            rule.words(&titles, true),
            "Given to members who joined before 1 January 2025, have an e-mail address at a \
             domain the site chose and do not hold “Gold”, and taken away from members who no \
             longer do."
        );
        assert!(rule.words(&titles, false).contains("corp.org"));
        assert_eq!(
            Rule {
                criteria: vec![],
                take_away: false
            }
            .words(&titles, true),
            "Given to every member."
        );
    }
}

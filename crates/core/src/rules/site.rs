//! The site's rules as runs need them: each rule with its badge, what each reads, the order
//! they run in (a rule after the rules whose badges it reads), and loops. A site has a few
//! dozen badges at most, so all of it is read in two small queries.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::criteria::{Criterion, Rule};
use crate::db::DbConnection;
use crate::db::keys::BadgeKey;
use crate::db::schema::{badge_rules, badges};
use crate::error::Error;
use crate::ids::BadgeId;

/// What a rule can read about a member, and so what a change must tell the rules about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fact {
    /// Whether (and since when) the member holds this badge.
    Holding(BadgeKey),
    /// How many badges given by hand they hold.
    HandCount,
    /// Their e-mail address (its domain, and whether an admin entered it).
    Email,
    /// How and when they joined: changes only when they do.
    Joining,
}

impl Fact {
    /// Everything: what a new member changes.
    pub fn all_but_holdings() -> HashSet<Fact> {
        HashSet::from([Fact::HandCount, Fact::Email, Fact::Joining])
    }
}

#[derive(Debug, Clone)]
pub struct SiteBadge {
    pub key: BadgeKey,
    pub id: BadgeId,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct SiteRule {
    pub badge: BadgeKey,
    pub rule: Rule,
}

#[derive(Debug, Clone, Default)]
pub struct Site {
    pub badges: Vec<SiteBadge>,
    pub rules: Vec<SiteRule>,
}

impl Site {
    /// The rules; the badges only if there are rules (a site without rules pays one query).
    pub fn load(conn: &mut DbConnection) -> Result<Site, Error> {
        let stored: Vec<(BadgeKey, String, bool)> = badge_rules::table
            .select((
                badge_rules::badge_key,
                badge_rules::criteria,
                badge_rules::take_away,
            ))
            .order(badge_rules::badge_key)
            .load(conn)?;
        if stored.is_empty() {
            return Ok(Site::default());
        }
        let rules = stored
            .into_iter()
            .map(|(badge, criteria, take_away)| {
                Ok(SiteRule {
                    badge,
                    rule: Rule::from_stored(&criteria, take_away)?,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Site {
            badges: Site::all_badges(conn)?,
            rules,
        })
    }

    pub fn all_badges(conn: &mut DbConnection) -> Result<Vec<SiteBadge>, Error> {
        Ok(badges::table
            .select((badges::key, badges::id, badges::title))
            .load::<(BadgeKey, BadgeId, String)>(conn)?
            .into_iter()
            .map(|(key, id, title)| SiteBadge { key, id, title })
            .collect())
    }

    pub fn badge(&self, key: BadgeKey) -> Option<&SiteBadge> {
        self.badges.iter().find(|b| b.key == key)
    }

    pub fn key_of(&self, id: &BadgeId) -> Option<BadgeKey> {
        self.badges.iter().find(|b| &b.id == id).map(|b| b.key)
    }

    pub fn title(&self, key: BadgeKey) -> &str {
        self.badge(key).map_or("?", |b| b.title.as_str())
    }

    pub fn titles(&self) -> HashMap<BadgeId, String> {
        self.badges
            .iter()
            .map(|b| (b.id.clone(), b.title.clone()))
            .collect()
    }

    pub fn rule_of(&self, badge: BadgeKey) -> Option<&SiteRule> {
        self.rules.iter().find(|r| r.badge == badge)
    }

    pub fn is_automatic(&self, badge: BadgeKey) -> bool {
        self.rule_of(badge).is_some()
    }

    /// The badges rules give, which "holds at least N badges" leaves out.
    pub fn automatic_keys(&self) -> Vec<BadgeKey> {
        self.rules.iter().map(|r| r.badge).collect()
    }

    /// The site with `badge` given `rule` (or none), as a save or a preview would leave it.
    pub fn with_rule(&self, badge: BadgeKey, rule: Option<&Rule>) -> Site {
        let mut site = self.clone();
        site.rules.retain(|r| r.badge != badge);
        if let Some(rule) = rule {
            site.rules.push(SiteRule {
                badge,
                rule: rule.clone(),
            });
        }
        site
    }

    /// What a rule reads. A rule with no criteria (every member) reads only joining.
    pub fn reads(&self, rule: &Rule) -> HashSet<Fact> {
        let mut facts = HashSet::from([Fact::Joining]);
        for criterion in &rule.criteria {
            match criterion {
                Criterion::EmailDomainIn(_) => {
                    facts.insert(Fact::Email);
                }
                Criterion::BadgeCountAtLeast(_) => {
                    facts.insert(Fact::HandCount);
                }
                other => facts.extend(
                    other
                        .badges()
                        .into_iter()
                        .filter_map(|id| self.key_of(id))
                        .map(Fact::Holding),
                ),
            }
        }
        facts
    }

    /// The automatic badges whose holders a rule reads.
    fn reads_rules_of(&self, rule: &Rule) -> Vec<BadgeKey> {
        self.reads(rule)
            .into_iter()
            .filter_map(|f| match f {
                Fact::Holding(key) if self.is_automatic(key) => Some(key),
                _ => None,
            })
            .collect()
    }

    /// Positions in `rules` in the order to run them: each after the rules whose badges it
    /// reads. (A loop is refused when saved; were one stored anyway, its rules come last.)
    pub fn order(&self) -> Vec<usize> {
        let mut placed: Vec<usize> = Vec::with_capacity(self.rules.len());
        let mut done: HashSet<BadgeKey> = HashSet::new();
        loop {
            let before = placed.len();
            for (i, r) in self.rules.iter().enumerate() {
                if !done.contains(&r.badge)
                    && self
                        .reads_rules_of(&r.rule)
                        .iter()
                        .all(|k| done.contains(k) || *k == r.badge)
                {
                    placed.push(i);
                    done.insert(r.badge);
                }
            }
            if placed.len() == before {
                break;
            }
        }
        placed.extend((0..self.rules.len()).filter(|&i| !done.contains(&self.rules[i].badge)));
        placed
    }

    /// A circle of rules through `badge`, as the badges along it (`badge` first and last).
    pub fn loop_through(&self, badge: BadgeKey) -> Option<Vec<BadgeKey>> {
        let mut path = vec![badge];
        let mut seen = HashSet::new();
        self.walk(badge, badge, &mut path, &mut seen)
            .then_some(path)
    }

    fn walk(
        &self,
        from: BadgeKey,
        target: BadgeKey,
        path: &mut Vec<BadgeKey>,
        seen: &mut HashSet<BadgeKey>,
    ) -> bool {
        let Some(rule) = self.rule_of(from) else {
            return false;
        };
        let mut next = self.reads_rules_of(&rule.rule);
        next.sort();
        for key in next {
            path.push(key);
            if key == target || (seen.insert(key) && self.walk(key, target, path, seen)) {
                return true;
            }
            path.pop();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(rules: &[(i64, Vec<i64>)]) -> Site {
        let badges = (1..=5)
            .map(|k| SiteBadge {
                key: BadgeKey(k),
                id: BadgeId::from(format!("b{k}")),
                title: format!("B{k}"),
            })
            .collect();
        let rules = rules
            .iter()
            .map(|(badge, reads)| SiteRule {
                badge: BadgeKey(*badge),
                rule: Rule {
                    criteria: vec![Criterion::HoldsAll(
                        reads
                            .iter()
                            .map(|k| BadgeId::from(format!("b{k}")))
                            .collect(),
                    )],
                    take_away: true,
                },
            })
            .collect();
        Site { badges, rules }
    }

    #[test]
    fn rules_run_after_the_rules_they_read() {
        let s = site(&[(3, vec![2]), (2, vec![1]), (4, vec![3, 1])]);
        let order: Vec<i64> = s.order().iter().map(|&i| s.rules[i].badge.0).collect();
        assert_eq!(order, [2, 3, 4]);
        assert_eq!(s.loop_through(BadgeKey(3)), None);
    }

    #[test]
    fn a_loop_is_found_with_the_badges_along_it() {
        let s = site(&[(1, vec![2]), (2, vec![3]), (3, vec![1, 5])]);
        let path: Vec<i64> = s
            .loop_through(BadgeKey(2))
            .expect("a loop")
            .iter()
            .map(|k| k.0)
            .collect();
        assert_eq!(path, [2, 3, 1, 2]);
        let own = site(&[(4, vec![4])]);
        assert_eq!(
            own.loop_through(BadgeKey(4)),
            Some(vec![BadgeKey(4), BadgeKey(4)])
        );
        assert_eq!(s.order().len(), 3);
    }
}

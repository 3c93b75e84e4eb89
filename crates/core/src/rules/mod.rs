//! Badges given by rules: a rule says which members hold its badge (joined before a date,
//! an e-mail domain an admin vouched for, other badges held, …) and whether members who stop
//! matching lose it. Rules run when saved, for the members a change concerns in that change's
//! transaction, and on a schedule for what time alone changes. An automatic badge is given by
//! its rule only: every hand path refuses it.

pub mod criteria;
pub mod run;
pub mod site;
pub mod sql;
pub mod store;

pub use criteria::{Criterion, Day, Rule};
pub use run::{
    Outcome, Preview, TimedRules, follow_email_change, follow_holding_change, follow_new_members,
    follows_holding_change,
};
pub use store::RuleError;

//! The declaration lifecycle (SPEC §3.2) as one state machine, and the shapes of what is declared.
//!
//! ```text
//! draft --publish--> public --publish revision--> public (previous version: superseded)
//!   |                  |  \--withdraw (org, reason)--> withdrawn
//!   |                  \----abolish (regulator)------> abolished
//!   \--withdraw (abandon an unpublished draft)--> withdrawn
//! ```

use serde::{Deserialize, Serialize};

/// The public-facing state of a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Public,
    Withdrawn,
    Abolished,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "public" => Some(Self::Public),
            "withdrawn" => Some(Self::Withdrawn),
            "abolished" => Some(Self::Abolished),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Public => "public",
            Self::Withdrawn => "withdrawn",
            Self::Abolished => "abolished",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Public => "现行有效",
            Self::Withdrawn => "已撤回",
            Self::Abolished => "已被废止",
        }
    }
}

/// What is declared: a product standard, a service standard, or a social organization's own group
/// standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Product,
    Service,
    Group,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Service => "service",
            Kind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "product" => Some(Kind::Product),
            "service" => Some(Kind::Service),
            "group" => Some(Kind::Group),
            _ => None,
        }
    }
}

/// The declarant's answer about indicators fewer or lower than the recommended national standard's
/// (企业标准化促进办法 Art 14): a blank is not an assurance, so saying nothing and saying "none" are
/// different answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum BelowRecommended {
    /// The declarant said nothing.
    #[default]
    NotStated,
    /// No indicator is fewer or lower than the recommended national standard's.
    NoneLower,
    /// Some are: the statement says which and why.
    Statement,
}

impl BelowRecommended {
    pub const ALL: [BelowRecommended; 3] =
        [BelowRecommended::NotStated, BelowRecommended::NoneLower, BelowRecommended::Statement];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStated => "not_stated",
            Self::NoneLower => "none_lower",
            Self::Statement => "statement",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The answer a body gives: as stated, or read from whether a statement was written.
    pub fn of(answer: Option<Self>, has_statement: bool) -> Self {
        answer.unwrap_or(if has_statement { Self::Statement } else { Self::NotStated })
    }
}

/// What someone wants to do with a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Change the pending draft.
    Edit,
    /// Publish the pending draft (first version or a revision).
    Publish,
    /// Start a new draft version from the current public one.
    Revise,
    /// Withdraw (the organization, with a reason).
    Withdraw,
    /// Abolish after a failed rectification (a regulator).
    Abolish,
}

/// Why an action is not allowed now; the message names the current state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransitionError(pub String);

/// Checks an action against the declaration's state and whether a draft version is pending.
pub fn check(status: Status, has_draft: bool, action: Action) -> Result<(), TransitionError> {
    let state = if has_draft && status == Status::Public {
        "现行有效（另有待发布的修订草稿）".to_string()
    } else {
        status.label_zh().to_string()
    };
    let refuse = |why: &str| Err(TransitionError(format!("当前状态为“{state}”，{why}")));
    match action {
        Action::Edit | Action::Publish if !has_draft => match status {
            Status::Public => refuse("已发布的版本不可修改；请先创建修订版本"),
            _ => refuse("没有可编辑或发布的草稿"),
        },
        Action::Edit | Action::Publish => match status {
            Status::Draft | Status::Public => Ok(()),
            _ => refuse("不能再发布"),
        },
        Action::Revise => match (status, has_draft) {
            (Status::Public, false) => Ok(()),
            (Status::Public, true) => refuse("已有待发布的修订草稿，请先编辑或发布它"),
            (Status::Draft, _) => refuse("尚未发布，直接编辑草稿即可"),
            _ => refuse("不能再修订"),
        },
        Action::Withdraw => match status {
            Status::Draft | Status::Public => Ok(()),
            _ => refuse("不能撤回"),
        },
        Action::Abolish => match status {
            Status::Public => Ok(()),
            _ => refuse("只能废止现行有效的声明"),
        },
    }
}

/// Whether the public may see the declaration at all (it was published at least once).
pub fn publicly_visible(current_version: Option<i32>) -> bool {
    current_version.is_some()
}

/// GTIN-8/12/13/14 check digit (GS1 mod 10).
pub fn gtin_valid(code: &str) -> bool {
    if !matches!(code.len(), 8 | 12 | 13 | 14) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = code.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    (10 - sum % 10) % 10 == check[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_transitions() {
        assert!(check(Status::Draft, true, Action::Edit).is_ok());
        assert!(check(Status::Draft, true, Action::Publish).is_ok());
        assert!(check(Status::Draft, true, Action::Withdraw).is_ok());
        assert!(check(Status::Public, false, Action::Revise).is_ok());
        assert!(check(Status::Public, true, Action::Edit).is_ok());
        assert!(check(Status::Public, true, Action::Publish).is_ok());
        assert!(check(Status::Public, false, Action::Withdraw).is_ok());
        assert!(check(Status::Public, true, Action::Withdraw).is_ok());
        assert!(check(Status::Public, false, Action::Abolish).is_ok());
    }

    #[test]
    fn illegal_transitions_name_the_state() {
        let e = check(Status::Public, false, Action::Edit).expect_err("published is immutable");
        assert!(e.0.contains("现行有效") && e.0.contains("修订"), "{e}");
        assert!(check(Status::Public, true, Action::Revise).is_err());
        assert!(check(Status::Draft, true, Action::Revise).is_err());
        for s in [Status::Withdrawn, Status::Abolished] {
            for a in [Action::Edit, Action::Publish, Action::Revise, Action::Withdraw, Action::Abolish] {
                let e = check(s, false, a).expect_err("terminal");
                assert!(e.0.contains(s.label_zh()), "{e}");
            }
        }
        assert!(check(Status::Draft, true, Action::Abolish).is_err());
    }

    #[test]
    fn gtin() {
        assert!(gtin_valid("6901234567892"));
        assert!(!gtin_valid("6901234567891"));
        assert!(gtin_valid("96385074"));
        assert!(gtin_valid("10012345678902"));
        assert!(!gtin_valid("12345"));
        assert!(!gtin_valid("69012345678a2"));
    }
}

//! Rectification (整改), the one lifecycle shared by inspections and complaints: ordered with a due
//! date, answered by the organization (a statement, optionally a newly published version), closed by
//! the regulator as rectified or not rectified (which abolishes the declaration), and flagged
//! `overdue` when the due date passes without an answer.
//!
//! ```text
//! rectification_ordered --answer--> responded --close--> rectified | not_rectified
//!          \------------------------close--------------/
//! ```

use serde::{Deserialize, Serialize};

/// Working days after the order by which rectification is due when no date is given.
pub const DEFAULT_WORKING_DAYS: u32 = 20;
/// The longest period that may be given in working days.
pub const MAX_WORKING_DAYS: u32 = 120;

/// Where a rectification stands (the inspection's status while it is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    RectificationOrdered,
    Responded,
    Rectified,
    NotRectified,
}

impl Status {
    pub const ALL: [Status; 4] =
        [Status::RectificationOrdered, Status::Responded, Status::Rectified, Status::NotRectified];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::RectificationOrdered => "rectification_ordered",
            Status::Responded => "responded",
            Status::Rectified => "rectified",
            Status::NotRectified => "not_rectified",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::RectificationOrdered => "责令整改中",
            Status::Responded => "已答复待复查",
            Status::Rectified => "已整改",
            Status::NotRectified => "整改不合格",
        }
    }

    /// Still running: the organization or the regulator has something to do.
    pub fn is_open(self) -> bool {
        matches!(self, Status::RectificationOrdered | Status::Responded)
    }
}

/// How the regulator closes a rectification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Rectified,
    NotRectified,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rectified" => Some(Resolution::Rectified),
            "not_rectified" => Some(Resolution::NotRectified),
            _ => None,
        }
    }

    pub fn status(self) -> Status {
        match self {
            Resolution::Rectified => Status::Rectified,
            Resolution::NotRectified => Status::NotRectified,
        }
    }
}

/// What someone wants to do with a rectification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The organization answers.
    Respond,
    /// The regulator closes.
    Close,
}

/// Why an action is refused in the current state (a 409 message naming the state).
pub fn check(status: Status, action: Action) -> Result<(), String> {
    match (action, status) {
        (Action::Respond, Status::RectificationOrdered) => Ok(()),
        (Action::Close, Status::RectificationOrdered | Status::Responded) => Ok(()),
        (Action::Respond, Status::Responded) => {
            Err("整改已答复，正等待监管部门复查；如需补充，请联系监管部门".to_string())
        }
        (Action::Respond, _) => Err(format!("只能答复责令整改中的事项（当前状态：{}）", status.label_zh())),
        (Action::Close, _) => Err(format!("只能关闭责令整改中的事项（当前状态：{}）", status.label_zh())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle() {
        use Status::*;
        assert!(check(RectificationOrdered, Action::Respond).is_ok());
        assert!(check(RectificationOrdered, Action::Close).is_ok());
        assert!(check(Responded, Action::Close).is_ok());
        assert!(check(Responded, Action::Respond).is_err());
        for done in [Rectified, NotRectified] {
            assert!(check(done, Action::Respond).is_err() && check(done, Action::Close).is_err());
            assert!(!done.is_open());
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Resolution::parse("rectified").map(Resolution::status), Some(Rectified));
        assert_eq!(Resolution::parse("maybe"), None);
    }
}

//! Complaints (举报/投诉, SPEC §3.4): categories, the workflow state machine, working-day deadlines
//! and tracking codes.

use chrono::NaiveDate;
use rand::TryRngCore;
use serde::{Deserialize, Serialize};

use super::workdays::Calendar;

/// Working days to decide whether to accept, counted from the day of receipt.
pub const ACCEPT_WITHIN: u32 = 7;
/// Working days to conclude, counted from the day of acceptance.
pub const CONCLUDE_WITHIN: u32 = 15;
/// The one extension of the conclusion deadline.
pub const EXTENSION: u32 = 15;
/// Attachments per complaint.
pub const MAX_ATTACHMENTS: i64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 指标虚假: declared indicators are false.
    FalseIndicator,
    /// 未按声明的标准组织生产或提供服务.
    NotExecuted,
    /// 应公开而未公开的信息.
    InfoMissing,
    /// 标准编号不规范.
    Numbering,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::FalseIndicator => "false_indicator",
            Category::NotExecuted => "not_executed",
            Category::InfoMissing => "info_missing",
            Category::Numbering => "numbering",
            Category::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Accepted,
    Rejected,
    Assigned,
    Concluded,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Received, Status::Accepted, Status::Rejected, Status::Assigned, Status::Concluded];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Assigned => "assigned",
            Status::Concluded => "concluded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still being handled (a deadline runs).
    pub fn is_open(self) -> bool {
        matches!(self, Status::Received | Status::Accepted | Status::Assigned)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 属实
    Substantiated,
    /// 部分属实
    PartiallySubstantiated,
    /// 不属实
    Unsubstantiated,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Substantiated => "substantiated",
            Outcome::PartiallySubstantiated => "partially_substantiated",
            Outcome::Unsubstantiated => "unsubstantiated",
        }
    }
}

/// What someone wants to do with a complaint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
    Assign,
    Extend,
    Conclude,
    AddAttachment,
}

/// Why an action is refused in the current state (a 409 message).
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

/// The state machine: received -> accepted | rejected; accepted -> assigned (again to reassign);
/// assigned -> concluded; one extension while accepted or assigned; attachments while open.
pub fn check(status: Status, extended: bool, action: Action) -> Result<(), Refusal> {
    use Status::*;
    let ok = match action {
        Action::Accept | Action::Reject => status == Received,
        Action::Assign => matches!(status, Accepted | Assigned),
        Action::Extend => matches!(status, Accepted | Assigned) && !extended,
        Action::Conclude => status == Assigned,
        Action::AddAttachment => status.is_open(),
    };
    if ok {
        return Ok(());
    }
    let msg = match (action, status) {
        (Action::Extend, Accepted | Assigned) => "办理期限只能延长一次，已经延长过".to_string(),
        (Action::Conclude, Accepted) => "投诉尚未指派承办人，不能办结".to_string(),
        (Action::AddAttachment, _) => format!("投诉已{}，不能再补充附件", label_zh(status)),
        _ => format!("投诉当前状态为“{}”，不能{}", label_zh(status), action_zh(action)),
    };
    Err(Refusal(msg))
}

pub fn label_zh(s: Status) -> &'static str {
    match s {
        Status::Received => "已收到",
        Status::Accepted => "已受理",
        Status::Rejected => "不予受理",
        Status::Assigned => "办理中",
        Status::Concluded => "已办结",
    }
}

fn action_zh(a: Action) -> &'static str {
    match a {
        Action::Accept => "受理",
        Action::Reject => "不予受理",
        Action::Assign => "指派承办人",
        Action::Extend => "延长办理期限",
        Action::Conclude => "办结",
        Action::AddAttachment => "补充附件",
    }
}

/// The last day to decide acceptance.
pub fn acceptance_due(cal: &Calendar, received_on: NaiveDate) -> NaiveDate {
    cal.add(received_on, ACCEPT_WITHIN)
}

/// The last day to conclude, from the day of acceptance.
pub fn conclusion_due(cal: &Calendar, accepted_on: NaiveDate, extended: bool) -> NaiveDate {
    cal.add(accepted_on, if extended { CONCLUDE_WITHIN + EXTENSION } else { CONCLUDE_WITHIN })
}

/// Whether an open complaint is past its running deadline on `today` (due dates are inclusive).
pub fn is_overdue(
    status: Status,
    acceptance_due: NaiveDate,
    conclusion_due: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    match status {
        Status::Received => today > acceptance_due,
        Status::Accepted | Status::Assigned => conclusion_due.is_some_and(|d| today > d),
        Status::Rejected | Status::Concluded => false,
    }
}

/// Tracking-code characters: digits and capitals without 0, O, 1, I and L (read aloud or copied
/// from paper without confusion).
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code: 12 from 31 symbols is about 59 bits.
pub const CODE_LEN: usize = 12;

/// A new random tracking code, `XXXX-XXXX-XXXX`.
pub fn new_tracking_code() -> String {
    let mut chars = Vec::with_capacity(CODE_LEN);
    let mut buf = [0u8; 32];
    while chars.len() < CODE_LEN {
        rand::rngs::OsRng.try_fill_bytes(&mut buf).expect("the operating system's random source works");
        // 248 = 8 * 31: rejecting larger bytes keeps every symbol equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if chars.len() < CODE_LEN {
                chars.push(CODE_ALPHABET[usize::from(*b) % 31]);
            }
        }
    }
    format_code(&chars)
}

fn format_code(chars: &[u8]) -> String {
    chars.chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// Reads a code as people type it (any case, with or without dashes and spaces); `None` when it
/// cannot be a code.
pub fn parse_tracking_code(raw: &str) -> Option<String> {
    let chars: Vec<u8> = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '－' | '—'))
        .map(|c| c.to_ascii_uppercase())
        .map(|c| if c.is_ascii() { c as u8 } else { 0 })
        .collect();
    (chars.len() == CODE_LEN && chars.iter().all(|c| CODE_ALPHABET.contains(c))).then(|| format_code(&chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn codes_are_unambiguous_and_parse_back() {
        for _ in 0..200 {
            let code = new_tracking_code();
            assert_eq!(code.len(), 14);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(parse_tracking_code(&code).as_deref(), Some(code.as_str()));
            assert_eq!(parse_tracking_code(&code.to_lowercase().replace('-', " ")).as_deref(), Some(code.as_str()));
        }
        assert_ne!(new_tracking_code(), new_tracking_code());
        assert_eq!(parse_tracking_code("ABCD-EFGH-JKM0"), None);
        assert_eq!(parse_tracking_code("ABCD-EFGH-JKM"), None);
        assert_eq!(parse_tracking_code("ABCD-EFGH-JKMNP"), None);
        assert_eq!(parse_tracking_code("ABCD-EFGH-JKM中"), None);
    }

    #[test]
    fn the_state_machine() {
        use Status::*;
        assert!(check(Received, false, Action::Accept).is_ok());
        assert!(check(Received, false, Action::Reject).is_ok());
        assert!(check(Accepted, false, Action::Accept).is_err());
        assert!(check(Received, false, Action::Assign).is_err());
        assert!(check(Accepted, false, Action::Assign).is_ok());
        assert!(check(Assigned, false, Action::Assign).is_ok());
        assert!(check(Accepted, false, Action::Conclude).is_err());
        assert!(check(Assigned, false, Action::Conclude).is_ok());
        assert!(check(Assigned, false, Action::Extend).is_ok());
        assert_eq!(check(Assigned, true, Action::Extend), Err(Refusal("办理期限只能延长一次，已经延长过".into())));
        assert!(check(Received, false, Action::Extend).is_err());
        assert!(check(Concluded, false, Action::AddAttachment).is_err());
        assert!(check(Rejected, false, Action::AddAttachment).is_err());
        assert!(check(Assigned, true, Action::AddAttachment).is_ok());
    }

    #[test]
    fn deadlines_count_working_days() {
        let cal = Calendar::default();
        // received Friday 2026-12-04: Mon 7 .. Fri 11 (5), Mon 14, Tue 15
        assert_eq!(acceptance_due(&cal, d("2026-12-04")), d("2026-12-15"));
        assert_eq!(conclusion_due(&cal, d("2026-12-07"), false), d("2026-12-28"));
        assert_eq!(conclusion_due(&cal, d("2026-12-07"), true), d("2027-01-18"));
        assert!(!is_overdue(Status::Received, d("2026-12-15"), None, d("2026-12-15")));
        assert!(is_overdue(Status::Received, d("2026-12-15"), None, d("2026-12-16")));
        assert!(!is_overdue(Status::Rejected, d("2026-12-15"), None, d("2027-12-16")));
        assert!(is_overdue(Status::Assigned, d("2026-12-15"), Some(d("2026-12-28")), d("2026-12-29")));
    }
}

//! Complaints (举报/投诉, SPEC §3.4): categories, the workflow state machine, working-day deadlines
//! and tracking codes.

use chrono::NaiveDate;
use rand::TryRngCore;

use super::coded::coded;
use super::workdays::Calendar;

/// Working days to decide whether to accept, counted from the day of receipt.
pub const ACCEPT_WITHIN: u32 = 7;
/// Working days to conclude, counted from the day of acceptance.
pub const CONCLUDE_WITHIN: u32 = 15;
/// The one extension of the conclusion deadline.
pub const EXTENSION: u32 = 15;
/// Attachments per complaint.
pub const MAX_ATTACHMENTS: i64 = 5;

coded! {
    /// What a complaint is about.
    pub enum Category {
        /// 指标虚假: declared indicators are false.
        FalseIndicator = "false_indicator" => "指标虚假",
        /// 未按声明的标准组织生产或提供服务.
        NotExecuted = "not_executed" => "未按声明的标准生产或提供服务",
        /// 应公开而未公开的信息.
        InfoMissing = "info_missing" => "应公开的信息未公开",
        /// 标准编号不规范.
        Numbering = "numbering" => "标准编号不规范",
        Other = "other" => "其他问题",
    }
}

coded! {
    /// Where a complaint stands.
    pub enum Status {
        Received = "received" => "已收到，等待受理",
        Accepted = "accepted" => "已受理",
        Rejected = "rejected" => "不予受理",
        Assigned = "assigned" => "办理中",
        Concluded = "concluded" => "已办结",
    }
}

impl Status {
    /// Still being handled (a deadline runs).
    pub fn is_open(self) -> bool {
        matches!(self, Status::Received | Status::Accepted | Status::Assigned)
    }
}

coded! {
    /// How a concluded complaint turned out.
    pub enum Outcome {
        /// 属实
        Substantiated = "substantiated" => "属实",
        /// 部分属实
        PartiallySubstantiated = "partially_substantiated" => "部分属实",
        /// 不属实
        Unsubstantiated = "unsubstantiated" => "不属实",
    }
}

coded! {
    /// A step in a complaint's history (`routed` is internal: the complainant's tracking view
    /// leaves it out).
    pub enum Event {
        Received = "received" => "收到投诉举报",
        Routed = "routed" => "转交辖区监管部门",
        Accepted = "accepted" => "决定受理",
        Rejected = "rejected" => "决定不予受理",
        Assigned = "assigned" => "交由承办人员办理",
        Extended = "extended" => "延长办理期限",
        Concluded = "concluded" => "办结",
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
        _ => format!("投诉当前状态为“{}”，不能{}", status.label(), action_zh(action)),
    };
    Err(Refusal(msg))
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

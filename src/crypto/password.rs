//! Passwords: argon2id with the OWASP parameters (m = 19 MiB, t = 2, p = 1), a policy check, and a
//! dummy verification for unknown accounts so timing does not reveal which e-mails exist.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

const COMMON: &str = include_str!("common_passwords.txt");

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (random salt inside). CPU-heavy: call off the async threads.
pub fn hash(password: &str) -> anyhow::Result<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Verifies a password against a PHC string. CPU-heavy: call off the async threads.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

static DUMMY: LazyLock<String> = LazyLock::new(|| hash("dummy-password-for-timing").unwrap_or_default());

/// Spends the same time as a real verification, for unknown accounts.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY);
}

/// Why a password is refused, if it is.
pub fn policy_problem(password: &str, email: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < 10 {
        return Some("密码至少 10 个字符");
    }
    if n > 128 {
        return Some("密码最多 128 个字符");
    }
    let lower = password.to_lowercase();
    if COMMON.lines().map(str::trim).any(|c| !c.is_empty() && c == lower) {
        return Some("这是常见密码，容易被猜中，请换一个");
    }
    if let Some((local, _)) = email.split_once('@')
        && local.len() >= 4
        && lower.contains(&local.to_lowercase())
    {
        return Some("密码不能包含邮箱用户名");
    }
    if password.chars().collect::<std::collections::BTreeSet<_>>().len() < 4 {
        return Some("密码字符种类太少");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a phc string"));
    }

    #[test]
    fn policy() {
        assert!(policy_problem("short", "a@b.cn").is_some());
        assert!(policy_problem("1234567890", "a@b.cn").is_some());
        assert!(policy_problem("qwertyuiop", "a@b.cn").is_some());
        assert!(policy_problem("Password123", "a@b.cn").is_some());
        assert!(policy_problem("zhangsan-2024-abc", "zhangsan@b.cn").is_some());
        assert!(policy_problem("aaaaaaaaaaaa", "a@b.cn").is_some());
        assert!(policy_problem("渝中区标准化2026!", "a@b.cn").is_none());
    }
}

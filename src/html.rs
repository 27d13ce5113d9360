//! HTML escaping, the one escaper: page fragments built in Rust and search highlights both use it.

/// Appends `s` to `out` with `& < > " '` escaped.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// `s` with `& < > " '` escaped, safe as HTML text or inside a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_every_special_character() {
        assert_eq!(super::escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(super::escape("锂电池"), "锂电池");
    }
}

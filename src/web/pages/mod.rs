//! One module per page.

pub mod campaign;
pub mod complaints;
pub mod declaration;
pub mod home;
pub mod open_data;
pub mod organization;
pub mod search;
pub mod stats;

use super::i18n::Strings;
use crate::search::engine::SearchItem;
use crate::web::Names;
use crate::web::format;

/// A declaration in a list (home, search results), with words for its codes.
pub struct DeclarationCard {
    pub href: String,
    /// HTML: escaped text, with `<em>` around matched words.
    pub number_html: String,
    pub title_html: String,
    pub organization_html: String,
    pub organization_href: String,
    pub products_html: Vec<String>,
    pub kind: &'static str,
    pub standard_type: &'static str,
    pub status: &'static str,
    pub status_code: String,
    pub flags: Vec<(&'static str, &'static str)>,
    pub published: String,
    pub division: String,
    /// Every compared indicator is stricter than the national standards (the badge).
    pub stricter_than_national: bool,
}

fn label(t: &'static Strings, table: super::i18n::Labels, code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(t.site.empty_value)
}

impl DeclarationCard {
    pub fn from_item(t: &'static Strings, names: &Names, it: &SearchItem) -> Self {
        let h = &it.highlight;
        let or_escaped = |hl: &Option<String>, plain: &str| hl.clone().unwrap_or_else(|| format::escape(plain));
        let mut products_html: Vec<String> = h.products.clone();
        for p in &it.products {
            if products_html.len() >= 6 {
                break;
            }
            if !h.products.iter().any(|x| x.replace("<em>", "").replace("</em>", "") == format::escape(p)) {
                products_html.push(format::escape(p));
            }
        }
        Self {
            href: format!("/declarations/{}", it.id),
            number_html: or_escaped(&h.standard_number, &it.standard_number),
            title_html: or_escaped(&h.standard_title, &it.standard_title),
            organization_html: or_escaped(&h.organization_name, &it.organization_name),
            organization_href: format!("/organizations/{}", it.uscc),
            products_html,
            kind: it.kind.label(),
            standard_type: it.standard_type.label(),
            status: it.status.label(),
            status_code: it.status.to_string(),
            flags: it.flags.iter().map(|f| (label(t, t.codes.flags, f), (t.flag_meaning)(f))).collect(),
            published: it.published_at.map(format::date).unwrap_or_default(),
            division: names.division(&it.division_code).unwrap_or(&it.division_code).to_string(),
            stricter_than_national: it.stricter_than_national,
        }
    }
}

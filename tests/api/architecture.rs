//! The layer rules of the house (README "Layers", docs/decisions.md "Layers point one way"), checked
//! on the source text of `src/`: every module belongs to a layer, imports only what its layer may
//! import, and no two modules depend on each other (no cycle between sibling modules at any level).
//! A failure names the file, the line and the import.
//!
//! The reader is a small Rust lexer: comments, strings and character literals are blanked out, then
//! `use` trees (with `self`, `super`, `as`, globs and nested braces), inline paths (`crate::x::f()`)
//! and paths through an imported module (`use crate::services::accounts;` then `accounts::f()`) are
//! resolved to the longest module path that exists as a file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The layers, top to bottom, and their modules (first path segment under `src/`).
const LAYERS: &[(&str, &[&str])] = &[
    // command-line entry points: anything below
    ("entry", &["commands", "bench", "seed", "backup"]),
    // building the actix application from routes, pages and the state
    ("app", &["startup"]),
    // the HTTP side: API routes, pages, request boundary, extractors
    ("http", &["routes", "web", "middleware", "auth", "extract", "request"]),
    // background work
    ("jobs", &["worker"]),
    // what a request or a job holds: pool, search index, settings, clock, keys
    ("state", &["state"]),
    // use cases
    ("services", &["services"]),
    // the search index and its feeding
    ("search", &["search"]),
    // PostgreSQL, the audit chain, the outbox, reference tables, stored files
    ("data", &["db", "audit", "outbox", "reference", "files"]),
    // the error table and input checks
    ("errors", &["error", "validate"]),
    // pure types and rules
    ("domain", &["domain"]),
    // settings, time, cryptography, metrics, logging, text helpers, the blocking helper
    ("base", &["config", "clock", "crypto", "metrics", "telemetry", "html", "blocking"]),
];

/// Which layers each layer may import (besides its own).
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("entry", &["app", "http", "jobs", "state", "services", "search", "data", "errors", "domain", "base"]),
    ("app", &["http", "jobs", "state", "services", "search", "data", "errors", "domain", "base"]),
    ("http", &["state", "services", "search", "data", "errors", "domain", "base"]),
    ("jobs", &["state", "services", "search", "data", "errors", "domain", "base"]),
    ("state", &["search", "data", "errors", "domain", "base"]),
    ("services", &["search", "data", "errors", "domain", "base"]),
    ("search", &["data", "errors", "domain", "base"]),
    ("data", &["errors", "domain", "base"]),
    ("errors", &["domain", "base"]),
    ("domain", &["base"]),
    ("base", &[]),
];

/// Inside the HTTP layer, which module may import which: pages never import routes (nor routes
/// pages), and nothing imports the request boundary (`middleware`), which renders the status pages.
const HTTP_PEERS: &[(&str, &[&str])] = &[
    ("routes", &["auth", "extract", "request"]),
    ("web", &["auth", "extract", "request"]),
    ("middleware", &["web", "request"]),
    ("auth", &["extract", "request"]),
    ("extract", &["request"]),
    ("request", &[]),
];

/// Modules that may not name these crates: SQL stays out of route and page modules; the domain
/// knows neither actix nor diesel; below the HTTP layer nothing speaks actix (the error table is
/// the one exception: `ApiError` is answered as an HTTP response).
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    ("routes", &["diesel"]),
    ("web", &["diesel"]),
    ("domain", &["diesel", "actix_web", "actix_multipart"]),
    ("state", &["actix_web"]),
    ("jobs", &["actix_web"]),
    ("services", &["actix_web"]),
    ("search", &["actix_web"]),
    ("data", &["actix_web"]),
    ("validate", &["actix_web"]),
    ("base", &["actix_web", "diesel"]),
];

/// Modules that may not import these modules of ours, beyond the layer table: route and page
/// modules reach the database only through `db::run`/`db::transaction` and the services, never
/// the schema.
const FORBIDDEN_MODULES: &[(&str, &[&str])] = &[("routes", &["db::schema"]), ("web", &["db::schema"])];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Semi,
    Comma,
    Star,
    Other,
}

/// Replaces comments, strings and character literals by spaces (newlines kept, so lines stay).
fn blank_out(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = src[i..].find('\n').map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (c == b'r' || (c == b'b' && b.get(i + 1) == Some(&b'r'))) && (i == 0 || !ident_char(b[i - 1])) && {
            let s = if c == b'b' { i + 2 } else { i + 1 };
            let hashes = b[s..].iter().take_while(|&&h| h == b'#').count();
            b.get(s + hashes) == Some(&b'"')
        } {
            let s = if c == b'b' { i + 2 } else { i + 1 };
            let hashes = b[s..].iter().take_while(|&&h| h == b'#').count();
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body = s + hashes + 1;
            let end = src[body..].find(&close).map_or(b.len(), |p| body + p + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if c == b'\'' {
            // a character literal ('x', '\n', '\u{..}', '中'), not a lifetime ('a)
            let rest = &src[i + 1..];
            let len = if rest.starts_with('\\') {
                rest.get(2..).and_then(|r| r.find('\'')).map(|p| p + 3)
            } else {
                rest.chars().next().filter(|_| rest.chars().nth(1) == Some('\'')).map(|ch| ch.len_utf8() + 1)
            };
            match len {
                Some(n) => {
                    blank(&mut out, i, i + 1 + n);
                    i += 1 + n;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Tokens with their line numbers.
fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &text[i..end];
                let word = word.strip_prefix("r#").unwrap_or(word);
                out.push((Tok::Ident(word.to_string()), line));
            }
            ':' if chars.peek().map(|&(_, d)| d) == Some(':') => {
                chars.next();
                out.push((Tok::PathSep, line));
            }
            '{' => out.push((Tok::Open, line)),
            '}' => out.push((Tok::Close, line)),
            ';' => out.push((Tok::Semi, line)),
            ',' => out.push((Tok::Comma, line)),
            '*' => out.push((Tok::Star, line)),
            _ => out.push((Tok::Other, line)),
        }
    }
    out
}

/// One leaf of a `use` tree: its path as written, and the name it brings into scope.
#[derive(Debug)]
struct UseLeaf {
    path: Vec<String>,
    alias: Option<String>,
    glob: bool,
}

/// Parses a use tree from `toks[*i]` (after `use`), appending its leaves.
fn use_tree(toks: &[(Tok, usize)], i: &mut usize, prefix: &[String], leaves: &mut Vec<UseLeaf>) {
    let mut path = prefix.to_vec();
    loop {
        match toks.get(*i).map(|t| &t.0) {
            Some(Tok::Ident(w)) if w == "as" => {
                *i += 1;
                let alias = match toks.get(*i).map(|t| &t.0) {
                    Some(Tok::Ident(a)) => Some(a.clone()),
                    _ => None,
                };
                *i += 1;
                leaves.push(UseLeaf { path, alias: alias.filter(|a| a != "_"), glob: false });
                return;
            }
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                *i += 1;
            }
            Some(Tok::PathSep) => *i += 1,
            Some(Tok::Star) => {
                *i += 1;
                leaves.push(UseLeaf { path, alias: None, glob: true });
                return;
            }
            Some(Tok::Open) => {
                *i += 1;
                loop {
                    match toks.get(*i).map(|t| &t.0) {
                        Some(Tok::Close) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Comma) => *i += 1,
                        None => return,
                        _ => use_tree(toks, i, &path, leaves),
                    }
                }
            }
            _ => {
                if path.len() > prefix.len() {
                    let alias = path.last().cloned();
                    leaves.push(UseLeaf { path, alias, glob: false });
                }
                return;
            }
        }
    }
}

/// A reference from one source file to a module of ours or to an external crate.
#[derive(Debug, Clone)]
struct Reference {
    file: String,
    line: usize,
    /// As written (`crate::startup::AppState`, `accounts::register`, `diesel::update`).
    written: String,
    /// The absolute path (for our modules) or `[crate_name, ...]` (external).
    path: Vec<String>,
    external: bool,
}

struct Source {
    module: Vec<String>,
    file: String,
    text: String,
}

fn module_of(src_dir: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("src/ is readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The sources of the library (`main.rs` is the binary: it reaches the library as `stdreg::`).
fn sources(src_dir: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(src_dir, &mut files);
    files
        .into_iter()
        .filter(|f| f != &src_dir.join("main.rs"))
        .map(|f| Source {
            module: module_of(src_dir, &f),
            file: format!("src/{}", f.strip_prefix(src_dir).unwrap_or(&f).display()),
            text: std::fs::read_to_string(&f).expect("readable source"),
        })
        .collect()
}

/// Every reference a source makes. `modules` are the module paths that exist.
fn references(src: &Source, modules: &BTreeSet<Vec<String>>) -> Vec<Reference> {
    let toks = tokens(&blank_out(&src.text));
    let mut refs = Vec::new();
    // the module at each position: the file's, plus inline `mod name { ... }` blocks
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let current = |inline: &[(String, usize)]| -> Vec<String> {
        src.module.iter().cloned().chain(inline.iter().map(|(m, _)| m.clone())).collect()
    };
    // Absolute path of a written path, or None for an external crate.
    let absolute = |written: &[String], here: &[String], aliases: &HashMap<String, Vec<String>>| {
        let first = written.first()?.as_str();
        match first {
            "crate" => Some(written[1..].to_vec()),
            "self" => Some(here.iter().chain(&written[1..]).cloned().collect()),
            "super" => {
                let ups = written.iter().take_while(|w| *w == "super").count();
                let base = &here[..here.len().saturating_sub(ups)];
                Some(base.iter().chain(&written[ups..]).cloned().collect())
            }
            _ => {
                if let Some(target) = aliases.get(first) {
                    return Some(target.iter().chain(&written[1..]).cloned().collect());
                }
                let child: Vec<String> = here.iter().cloned().chain(std::iter::once(first.to_string())).collect();
                if modules.contains(&child) {
                    return Some(here.iter().chain(written).cloned().collect());
                }
                None
            }
        }
    };
    let mut i = 0;
    while i < toks.len() {
        let (tok, line) = (&toks[i].0, toks[i].1);
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth + 1) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((next, _))) = (toks.get(i + 1), toks.get(i + 2)) {
                    let here = current(&inline);
                    let child: Vec<String> = here.iter().cloned().chain(std::iter::once(name.clone())).collect();
                    if *next == Tok::Open {
                        inline.push((name.clone(), depth + 1));
                    } else {
                        aliases.insert(name.clone(), child);
                    }
                    i += 2;
                    continue;
                }
            }
            Tok::Ident(w) if w == "use" => {
                let mut j = i + 1;
                let mut leaves = Vec::new();
                if toks.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                    j += 1;
                }
                use_tree(&toks, &mut j, &[], &mut leaves);
                let here = current(&inline);
                for leaf in leaves {
                    let mut path = leaf.path.clone();
                    let mut alias = leaf.alias.clone();
                    if path.last().is_some_and(|l| l == "self") {
                        path.pop();
                        if alias.as_deref() == Some("self") {
                            alias = path.last().cloned();
                        }
                    }
                    let written = leaf.path.join("::") + if leaf.glob { "::*" } else { "" };
                    match absolute(&path, &here, &aliases) {
                        Some(abs) => {
                            if let Some(a) = alias
                                && modules.contains(&abs)
                            {
                                aliases.insert(a, abs.clone());
                            }
                            refs.push(Reference {
                                file: src.file.clone(),
                                line,
                                written: format!("use {written}"),
                                path: abs,
                                external: false,
                            });
                        }
                        None => refs.push(Reference {
                            file: src.file.clone(),
                            line,
                            written: format!("use {written}"),
                            path,
                            external: true,
                        }),
                    }
                }
                while j < toks.len() && toks[j].0 != Tok::Semi {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            Tok::Ident(first) if toks.get(i + 1).map(|t| &t.0) == Some(&Tok::PathSep) => {
                let after_sep = i > 0 && toks[i - 1].0 == Tok::PathSep;
                if !after_sep {
                    let mut written = vec![first.clone()];
                    let mut j = i + 1;
                    while toks.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                        match toks.get(j + 1).map(|t| &t.0) {
                            Some(Tok::Ident(w)) => {
                                written.push(w.clone());
                                j += 2;
                            }
                            _ => break,
                        }
                    }
                    let here = current(&inline);
                    match absolute(&written, &here, &aliases) {
                        Some(abs) => refs.push(Reference {
                            file: src.file.clone(),
                            line,
                            written: written.join("::"),
                            path: abs,
                            external: false,
                        }),
                        None => refs.push(Reference {
                            file: src.file.clone(),
                            line,
                            written: written.join("::"),
                            path: written,
                            external: true,
                        }),
                    }
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    refs
}

/// The longest prefix of `path` that is a module of ours.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p)).unwrap_or_default()
}

fn layer_of(module: &[String]) -> Option<&'static str> {
    let top = module.first()?;
    LAYERS.iter().find(|(_, ms)| ms.contains(&top.as_str())).map(|(l, _)| *l)
}

fn lookup<'a>(table: &'a [(&'a str, &'a [&'a str])], key: &str) -> &'a [&'a str] {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or(&[])
}

/// Whether a rule key (a layer name, a top-level module, or `top::child`) applies to a module.
fn applies(key: &str, module: &[String]) -> bool {
    let joined = module.join("::");
    layer_of(module) == Some(key) || joined == key || joined.starts_with(&format!("{key}::"))
}

fn at(r: &Reference) -> String {
    format!("{}:{} `{}`", r.file, r.line, r.written)
}

/// Every violation of the rules in a set of sources.
fn violations(sources: &[Source]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut problems = Vec::new();
    let mut edges: Vec<(Vec<String>, Vec<String>, Reference)> = Vec::new();
    for src in sources {
        if !src.module.is_empty() && layer_of(&src.module).is_none() {
            problems.push(format!(
                "{}: module `{}` belongs to no layer: add it to LAYERS in tests/api/architecture.rs (and to the \
                 layer list in README.md)",
                src.file, src.module[0]
            ));
        }
        for r in references(src, &modules) {
            if r.external {
                for (key, crates) in FORBIDDEN_CRATES {
                    if applies(key, &src.module) && crates.contains(&r.path[0].as_str()) {
                        problems.push(format!("{}: {} may not use the `{}` crate", at(&r), key, r.path[0]));
                    }
                }
                continue;
            }
            let target = resolve(&r.path, &modules);
            for (key, banned) in FORBIDDEN_MODULES {
                if applies(key, &src.module) {
                    let t = r.path.join("::");
                    if let Some(b) = banned.iter().find(|b| t == **b || t.starts_with(&format!("{b}::"))) {
                        problems.push(format!("{}: {} may not import `crate::{}`", at(&r), key, b));
                    }
                }
            }
            if target != src.module {
                edges.push((src.module.clone(), target, r));
            }
        }
    }
    for (from, to, r) in &edges {
        let (Some(lf), Some(lt)) = (layer_of(from), layer_of(to)) else { continue };
        if from.first() == to.first() {
            continue;
        }
        if lf == lt {
            if lf == "http" && !lookup(HTTP_PEERS, &from[0]).contains(&to[0].as_str()) {
                problems.push(format!("{}: `{}` may not import `{}` (see HTTP_PEERS)", at(r), from[0], to[0]));
            }
        } else if !lookup(MAY_IMPORT, lf).contains(&lt) {
            problems.push(format!(
                "{}: `{}` (layer {lf}) may not import `{}` (layer {lt}): arrows point down only",
                at(r),
                from.join("::"),
                to.join("::")
            ));
        }
    }
    problems.extend(cycles(&edges));
    problems
}

/// Cycles between sibling modules at every level: `a` and `b` (children of the same module)
/// depend on each other when something inside `a` imports something inside `b` and back.
fn cycles(edges: &[(Vec<String>, Vec<String>, Reference)]) -> Vec<String> {
    type Sibling = (Vec<String>, String, String);
    let mut by_parent: BTreeMap<Vec<String>, BTreeMap<(String, String), &Reference>> = BTreeMap::new();
    for (from, to, r) in edges {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue; // a module and its own descendants or ancestors
        }
        let key: Sibling = (from[..common].to_vec(), from[common].clone(), to[common].clone());
        by_parent.entry(key.0).or_default().entry((key.1, key.2)).or_insert(r);
    }
    let mut found = Vec::new();
    for (parent, pairs) in &by_parent {
        let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (a, b) in pairs.keys() {
            adj.entry(a.as_str()).or_default().push(b.as_str());
        }
        let mut reported: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
        for start in adj.keys() {
            if let Some(cycle) = shortest_cycle(&adj, start) {
                let set: BTreeSet<&str> = cycle.iter().copied().collect();
                if !reported.insert(set) {
                    continue;
                }
                let place = if parent.is_empty() { "crate".to_string() } else { parent.join("::") };
                let mut msg = format!("module cycle in {place}: {} -> {}", cycle.join(" -> "), cycle[0]);
                for (k, a) in cycle.iter().enumerate() {
                    let b = cycle[(k + 1) % cycle.len()];
                    if let Some(r) = pairs.get(&(a.to_string(), b.to_string())) {
                        msg.push_str(&format!("\n    {a} -> {b}: {}", at(r)));
                    }
                }
                found.push(msg);
            }
        }
    }
    found
}

/// The shortest cycle through `start`, if any (breadth-first).
fn shortest_cycle<'a>(adj: &BTreeMap<&'a str, Vec<&'a str>>, start: &'a str) -> Option<Vec<&'a str>> {
    let mut prev: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for &m in adj.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            if m == start {
                let mut path = vec![n];
                let mut cur = n;
                while cur != start {
                    cur = prev[cur];
                    path.push(cur);
                }
                path.reverse();
                return Some(path);
            }
            if !prev.contains_key(m) {
                prev.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    None
}

#[test]
fn layers_point_one_way_and_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&sources(&src));
    assert!(problems.is_empty(), "{} layer problems:\n{}", problems.len(), problems.join("\n"));
}

fn fake(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            module: module_of(Path::new("src"), Path::new(&format!("src/{path}"))),
            file: format!("src/{path}"),
            text: text.to_string(),
        })
        .collect()
}

/// The checker itself finds what it must: upward arrows, cycles, SQL in pages, imports hidden in
/// nested trees and behind module aliases, and ignores text in comments and strings.
#[test]
fn the_layer_check_catches_what_it_must() {
    let clean = fake(&[
        ("lib.rs", "pub mod db; pub mod services; pub mod web;"),
        ("db/mod.rs", "pub mod schema;"),
        ("db/schema.rs", ""),
        ("services/mod.rs", "pub mod a; pub mod b;"),
        ("services/a.rs", "use crate::db;\n// use crate::web::x;\nconst S: &str = \"crate::web::y\";"),
        ("services/b.rs", "use super::a;\nfn f() { a::g(); let c = '\"'; let l: &'static str = \"\"; }"),
        ("web/mod.rs", "use crate::services::{a, b::{self}};\nfn f() { b::h(); }"),
    ]);
    assert_eq!(violations(&clean), Vec::<String>::new());

    let bad = fake(&[
        ("lib.rs", "pub mod db; pub mod services; pub mod web;"),
        ("db/mod.rs", "pub mod schema;"),
        ("db/schema.rs", ""),
        ("services/mod.rs", "pub mod a; pub mod b;"),
        ("services/a.rs", "use crate::{db, web::{page::Chrome}};\nfn f() { super::b::x(); }"),
        ("services/b.rs", "use crate::services;\nfn g() { services::a::y(); }"),
        ("web/mod.rs", "pub mod page;\nuse diesel::prelude::*;\nfn f() { crate::db::schema::t::table; }"),
        ("web/page.rs", ""),
    ]);
    let found = violations(&bad).join("\n");
    assert!(found.contains("src/services/a.rs:1 `use crate::web::page::Chrome`"), "{found}");
    assert!(found.contains("layer services) may not import `web::page` (layer http)"), "{found}");
    assert!(found.contains("module cycle in services: a -> b -> a"), "{found}");
    assert!(found.contains("src/services/b.rs:2 `services::a::y`"), "{found}");
    assert!(found.contains("src/web/mod.rs:2 `use diesel::prelude::*`: web may not use the `diesel` crate"), "{found}");
    assert!(found.contains("src/web/mod.rs:3 `crate::db::schema::t::table`: web may not import `crate::db::schema`"));

    let unplaced = fake(&[("lib.rs", "pub mod gadgets;"), ("gadgets.rs", "")]);
    assert!(violations(&unplaced).join("\n").contains("module `gadgets` belongs to no layer"));
}

//! Realistic standards catalogue files, shaped like the national standards platform's export (the
//! Chinese headers `stdreg catalog standards` reads), for benchmarks and demos: national (GB, GB/T,
//! GB/Z), industry (real SAC sector codes) and local (DB + province code) standards in families of
//! editions — older editions abolished and replaced by the next (代替标准 / 被代替标准 on both
//! sides, the abolition date being the successor's implementation date), the newest current or,
//! when published this year, upcoming — with Chinese titles, dates, ICS/CCS codes, departments and
//! technical committees. Reproducible from the seed.

use std::collections::HashSet;
use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The export's header line.
pub const HEADER: &str = "标准号,中文标准名称,英文标准名称,标准状态,发布日期,实施日期,废止日期,代替标准,被代替标准,中国标准分类号,国际标准分类号,采标情况,主管部门,归口单位";

const SUBJECTS: &[(&str, &str, &str, &str)] = &[
    ("电动自行车", "Electric bicycles", "T82", "43.150"),
    ("锂离子蓄电池", "Lithium-ion batteries", "K82", "29.220.30"),
    ("家用和类似用途电器", "Household and similar electrical appliances", "Y60", "97.030"),
    ("食品接触用塑料材料及制品", "Plastic materials and articles in contact with food", "X08", "67.250"),
    ("儿童玩具", "Toys", "Y57", "97.200.50"),
    ("建筑用安全玻璃", "Safety glazing materials in building", "Q34", "81.040.30"),
    ("人造板及其制品", "Wood-based panels and products", "B70", "79.060"),
    ("纺织品", "Textiles", "W04", "59.080.01"),
    ("信息安全技术 网络安全等级保护", "Information security technology — Classified protection", "L80", "35.030"),
    ("电动汽车传导充电系统", "Electric vehicle conductive charging system", "T35", "43.120"),
    ("燃气燃烧器具", "Gas burning appliances", "J75", "97.040.20"),
    ("消防车", "Fire fighting vehicles", "C82", "13.220.10"),
    ("大米", "Rice", "B22", "67.060"),
    ("乳制品", "Dairy products", "X16", "67.100.10"),
    ("水泥", "Cement", "Q11", "91.100.10"),
    ("电线电缆", "Electric wires and cables", "K13", "29.060.20"),
    ("压力容器", "Pressure vessels", "J74", "23.020.30"),
    ("医用口罩", "Medical face masks", "C73", "11.140"),
];

const ASPECTS: &[(&str, &str)] = &[
    ("安全技术规范", "Safety technical specification"),
    ("通用技术条件", "General technical requirements"),
    ("试验方法", "Test methods"),
    ("术语", "Terminology"),
    ("检验规则", "Inspection rules"),
    ("能效限定值及能效等级", "Minimum allowable values of energy efficiency and grades"),
    ("有害物质限量", "Limits of harmful substances"),
    ("标志、包装、运输和贮存", "Marking, packaging, transportation and storage"),
];

const DEPARTMENTS: &[&str] =
    &["工业和信息化部", "国家市场监督管理总局", "住房和城乡建设部", "农业农村部", "应急管理部", "国家卫生健康委员会"];
const COMMITTEES: &[&str] = &[
    "全国自行车标准化技术委员会",
    "全国家用电器标准化技术委员会",
    "全国信息安全标准化技术委员会",
    "全国汽车标准化技术委员会",
    "全国消防标准化技术委员会",
    "全国水泥标准化技术委员会",
    "全国电线电缆标准化技术委员会",
];
const SECTORS: &[&str] =
    &["JB", "QB", "HG", "YY", "QC", "SN", "GA", "JT", "NY", "SH", "YD", "FZ", "JC", "SJ", "WS", "DL", "LY", "MT"];
const PROVINCES: &[&str] = &["11", "12", "31", "32", "33", "37", "44", "50", "51", "61"];

struct Family {
    prefix: String,
    sequence: String,
    national: bool,
}

fn family(rng: &mut ChaCha8Rng) -> Family {
    let roll = rng.random_range(0..100);
    let (prefix, national) = match roll {
        0..=44 => ("GB/T".to_string(), true),
        45..=52 => ("GB".to_string(), true),
        53 => ("GB/Z".to_string(), true),
        54..=88 => {
            let s = SECTORS[rng.random_range(0..SECTORS.len())];
            (if rng.random_bool(0.8) { format!("{s}/T") } else { s.to_string() }, false)
        }
        _ => {
            let p = PROVINCES[rng.random_range(0..PROVINCES.len())];
            (if rng.random_bool(0.9) { format!("DB{p}/T") } else { format!("DB{p}") }, false)
        }
    };
    let mut sequence = rng.random_range(1..60_000u32).to_string();
    if rng.random_bool(0.12) {
        write!(sequence, ".{}", rng.random_range(1..12)).ok();
    }
    Family { prefix, sequence, national }
}

fn number(f: &Family, year: i32) -> String {
    // national standards before 1995 carry a two-digit year
    let y = if f.national && year < 1995 { format!("{:02}", year % 100) } else { year.to_string() };
    format!("{} {}-{y}", f.prefix, f.sequence)
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// A catalogue of `rows` rows (plus the header) as the national platform exports it, in UTF-8;
/// `today` decides which newest editions are still upcoming. Numbers are unique.
pub fn generate(rows: usize, seed: u64, today: NaiveDate) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::with_capacity(rows * 220);
    out.push_str(HEADER);
    out.push('\n');
    let mut seen: HashSet<String> = HashSet::with_capacity(rows);
    let mut written = 0;
    while written < rows {
        let f = family(&mut rng);
        let editions = (rng.random_range(1..=3usize)).min(rows - written);
        let mut year = rng.random_range(1988..=today.year() - 3 * (editions as i32 - 1)).min(today.year());
        let mut years = Vec::with_capacity(editions);
        for _ in 0..editions {
            years.push(year);
            year += rng.random_range(3..=9);
            if year > today.year() {
                break;
            }
        }
        let numbers: Vec<String> = years.iter().map(|y| number(&f, *y)).collect();
        if numbers.iter().any(|n| seen.contains(n)) {
            continue;
        }
        let subject = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
        let aspect = ASPECTS[rng.random_range(0..ASPECTS.len())];
        let title = format!("{} {}", subject.0, aspect.0);
        let title_en = format!("{} — {}", subject.1, aspect.1);
        let department = DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())];
        let committee = COMMITTEES[rng.random_range(0..COMMITTEES.len())];
        let dates: Vec<(NaiveDate, NaiveDate)> = years
            .iter()
            .map(|y| {
                let publish = NaiveDate::from_ymd_opt(*y, rng.random_range(1..=12), rng.random_range(1..=28))
                    .unwrap_or(today)
                    .min(today);
                (publish, publish + Duration::days(rng.random_range(90..=365)))
            })
            .collect();
        for (i, n) in numbers.iter().enumerate() {
            let newest = i + 1 == numbers.len();
            let (publish, implement) = dates[i];
            let (status, abolish) = if !newest {
                ("废止", Some(dates[i + 1].1))
            } else if implement > today {
                ("即将实施", None)
            } else if rng.random_bool(0.04) {
                ("废止", Some(today - Duration::days(rng.random_range(30..=900))).filter(|d| *d >= implement))
            } else {
                ("现行", None)
            };
            let replaces = if i > 0 { numbers[i - 1].clone() } else { String::new() };
            let replaced_by = if newest { String::new() } else { numbers[i + 1].clone() };
            let adopted = if rng.random_bool(0.08) { "IDT ISO 9001:2015" } else { "" };
            let _ = writeln!(
                out,
                "{},{},{},{status},{publish},{implement},{},{replaces},{replaced_by},{},{},{adopted},{department},{committee}",
                quote(n),
                quote(&title),
                quote(&title_en),
                abolish.map(|d| d.to_string()).unwrap_or_default(),
                subject.2,
                subject.3,
            );
            seen.insert(n.clone());
            written += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::CatalogStatus;

    #[test]
    fn generated_files_load_cleanly_and_are_reproducible() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let text = generate(2000, 7, today);
        assert_eq!(text, generate(2000, 7, today), "same seed, same file");
        let p = crate::reference::standards_file::parse("generated.csv", text.as_bytes());
        assert!(p.refused.is_empty(), "{:?}", &p.refused[..p.refused.len().min(5)]);
        assert_eq!(p.entries.len(), 2000);
        let abolished = p.entries.iter().filter(|(_, e)| e.status == CatalogStatus::Abolished).count();
        assert!((200..1200).contains(&abolished), "a realistic share is abolished: {abolished}");
        assert!(p.entries.iter().any(|(_, e)| e.status == CatalogStatus::Upcoming));
        assert!(p.entries.iter().any(|(_, e)| e.standard_type == "industry"));
        assert!(p.entries.iter().any(|(_, e)| e.standard_type == "local"));
        assert!(p.entries.iter().filter(|(_, e)| !e.replaced_by.is_empty()).count() > 100);
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        assert_eq!(crate::reference::standards_file::parse("g.csv", &gb).entries.len(), 2000);
    }
}

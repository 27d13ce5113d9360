//! The comparison rules with the real limits of the starter table (GB 18401-2010, GB 18580-2017,
//! GB 6566-2010) and a recommended standard's lower bound.

use super::*;
use crate::domain::indicators::Direction;

fn canon(code: &str, name: &str, quantity: &str, unit: Option<&str>, direction: Direction) -> Canonical {
    Canonical {
        code: code.into(),
        name: name.into(),
        synonyms: Vec::new(),
        quantity: quantity.into(),
        unit: unit.map(str::to_string),
        direction,
    }
}

fn vocabulary() -> Vocabulary {
    Vocabulary::new([
        canon("formaldehyde_content", "甲醛含量", "fraction", Some("mg/kg"), Direction::LowerBetter),
        canon("ph_value", "pH值", "dimensionless", None, Direction::Range),
        canon("odour", "异味", "dimensionless", None, Direction::PassFail),
        canon("formaldehyde_emission", "甲醛释放量", "mass_concentration", Some("mg/m³"), Direction::LowerBetter),
        canon("specific_energy", "质量能量密度", "specific_energy", Some("Wh/kg"), Direction::HigherBetter),
        canon("external_exposure_index_igamma", "外照射指数", "dimensionless", None, Direction::LowerBetter),
    ])
}

#[allow(clippy::too_many_arguments)]
fn req(
    standard: &str,
    code: &str,
    class: Option<&str>,
    cmp: Comparator,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<&str>,
    text: Option<&str>,
) -> Requirement {
    let mandatory = !standard.contains("/T");
    Requirement {
        standard: standard.into(),
        nature: if mandatory { Nature::Mandatory } else { Nature::Recommended },
        national: standard.starts_with("GB"),
        clause: Some("表1".into()),
        code: code.into(),
        indicator_name: code.into(),
        product_class: class.map(str::to_string),
        comparator: cmp,
        min,
        max,
        unit: unit.map(str::to_string),
        value_text: text.map(str::to_string),
    }
}

fn requirements() -> Vec<Requirement> {
    use Comparator::*;
    let g = "GB 18401-2010";
    let (a, b, c) = ("A类(婴幼儿用品)", "B类(直接接触皮肤的产品)", "C类(非直接接触皮肤的产品)");
    vec![
        req(g, "formaldehyde_content", Some(a), AtMost, None, Some(20.0), Some("mg/kg"), None),
        req(g, "formaldehyde_content", Some(b), AtMost, None, Some(75.0), Some("mg/kg"), None),
        req(g, "formaldehyde_content", Some(c), AtMost, None, Some(300.0), Some("mg/kg"), None),
        req(g, "ph_value", Some(a), Range, Some(4.0), Some(7.5), None, None),
        req(g, "ph_value", Some(b), Range, Some(4.0), Some(8.5), None, None),
        req(g, "ph_value", Some(c), Range, Some(4.0), Some(9.0), None, None),
        req(g, "odour", None, Exactly, None, None, None, Some("无")),
        req("GB 18580-2017", "formaldehyde_emission", None, AtMost, None, Some(0.124), Some("mg/m³"), None),
        req("GB/T 36972-2018", "specific_energy", None, AtLeast, Some(120.0), None, Some("Wh/kg"), None),
        req(
            "GB 6566-2010",
            "external_exposure_index_igamma",
            Some("建筑主体材料"),
            AtMost,
            None,
            Some(1.0),
            None,
            None,
        ),
    ]
}

fn ind<'a>(name: &'a str, value: Value<'a>, unit: Option<&'a str>) -> Declared<'a> {
    Declared { name, code: None, value, unit, comparator: None }
}

fn textile() -> Applicable {
    Applicable { mandatory: vec!["GB 18401-2010".into()], recommended: Vec::new() }
}

fn run(applicable: &Applicable, indicators: &[Declared<'_>], classes: &[Option<&str>]) -> Assessment {
    assess(&vocabulary(), &requirements(), applicable, indicators, classes)
}

#[test]
fn formaldehyde_80_in_class_b_is_below_the_75_limit() {
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(80.0), Some("mg/kg"))], &[Some("B类")]);
    let below: Vec<_> = a.below_mandatory().collect();
    assert_eq!(below.len(), 1, "{a:?}");
    let (i, c) = below[0];
    assert_eq!(i, 0);
    assert_eq!(c.requirement.max, Some(75.0));
    assert_eq!(c.requirement.class_short(), Some("B类"));
    assert_eq!(c.words(), "低于 GB 18401-2010 B类限值 75 mg/kg");
    assert!(!a.stricter_than_national());
}

#[test]
fn formaldehyde_20_in_class_b_is_stricter() {
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(20.0), Some("mg/kg"))], &[Some("B")]);
    assert_eq!(a.below_mandatory().count(), 0);
    let c = &a.indicators[0].comparisons[0];
    assert_eq!(c.outcome, Outcome::Stricter);
    assert_eq!(c.words(), "严于 GB 18401-2010 B类限值 75 mg/kg");
    assert!(a.stricter_than_national());
    assert!(!a.at_mandatory_limit());
    assert_eq!(a.indicators[0].canonical, Some(CanonicalValue { min: None, max: Some(20.0), text: None }));
}

#[test]
fn ph_9_in_class_b_is_outside_4_to_8_5() {
    let a = run(&textile(), &[ind("pH值", Value::Number(9.0), None)], &[Some("B类(直接接触皮肤的产品)")]);
    let below: Vec<_> = a.below_mandatory().collect();
    assert_eq!(below.len(), 1, "{a:?}");
    assert_eq!(below[0].1.requirement.limit_text(), "4.0～8.5");
    let ok = run(&textile(), &[ind("pH值", Value::Text("5.0~7.0"), None)], &[Some("B")]);
    assert_eq!(ok.indicators[0].comparisons[0].outcome, Outcome::Stricter);
    assert_eq!(ok.indicators[0].comparisons[0].words(), "严于 GB 18401-2010 B类范围 4.0～8.5");
    let edge = run(&textile(), &[ind("pH值", Value::Text("4.0~8.5"), None)], &[Some("B")]);
    assert_eq!(edge.indicators[0].comparisons[0].outcome, Outcome::Equal);
}

#[test]
fn ppm_converts_to_mg_per_kg_before_comparing() {
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(80.0), Some("ppm"))], &[Some("B")]);
    assert_eq!(a.below_mandatory().count(), 1);
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(75.0), Some("ppm"))], &[Some("B")]);
    assert_eq!(a.indicators[0].comparisons[0].outcome, Outcome::Equal, "75 ppm is the 75 mg/kg limit");
    assert!(a.at_mandatory_limit());
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(0.005), Some("%"))], &[Some("B")]);
    assert_eq!(a.indicators[0].comparisons[0].outcome, Outcome::Stricter, "0.005 % = 50 mg/kg");
}

#[test]
fn wood_panel_at_0_124_is_at_the_limit_and_0_15_is_below() {
    let panel = Applicable { mandatory: vec!["GB 18580-2017".into()], recommended: Vec::new() };
    let at = run(&panel, &[ind("甲醛释放量", Value::Number(0.124), Some("mg/m³"))], &[None]);
    assert_eq!(at.indicators[0].comparisons[0].outcome, Outcome::Equal);
    assert!(at.at_mandatory_limit());
    assert!(!at.stricter_than_national());
    assert_eq!(at.indicators[0].comparisons[0].words(), "达到 GB 18580-2017 限值 0.124 mg/m³");
    let over = run(&panel, &[ind("甲醛释放量", Value::Number(0.15), Some("mg/m3"))], &[None]);
    assert_eq!(over.below_mandatory().count(), 1);
    let litres = run(&panel, &[ind("甲醛释放量", Value::Number(0.000124), Some("mg/L"))], &[None]);
    assert_eq!(litres.indicators[0].comparisons[0].outcome, Outcome::Equal, "mg/L converts to mg/m³");
}

#[test]
fn an_unmatched_indicator_is_not_compared_and_blocks_nothing() {
    let a = run(&textile(), &[ind("耐水色牢度", Value::Number(2.0), Some("级"))], &[Some("B")]);
    assert_eq!(a.indicators[0], Assessed::default());
    assert!(a.problems.is_empty());
    assert_eq!(a.below_mandatory().count(), 0);
    assert!(!a.stricter_than_national() && !a.at_mandatory_limit() && !a.has_gaps());
}

#[test]
fn a_missing_class_is_a_problem_for_mandatory_classes() {
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(20.0), Some("mg/kg"))], &[Some("B"), None]);
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
    let Problem::ClassMissing { product, standards } = &a.problems[0] else { panic!("{:?}", a.problems) };
    assert_eq!(*product, 1);
    assert_eq!(standards[0].0, "GB 18401-2010");
    assert_eq!(standards[0].1.len(), 3);
    let other = run(&textile(), &[ind("甲醛含量", Value::Number(20.0), Some("mg/kg"))], &[Some("D类")]);
    assert!(other.problems.is_empty());
    assert_eq!(other.indicators[0].gaps[0].gap, Gap::Class, "a class the table lacks is a gap");
}

#[test]
fn each_product_class_is_compared() {
    let a =
        run(&textile(), &[ind("甲醛含量", Value::Number(50.0), Some("mg/kg"))], &[Some("A"), Some("B"), Some("b类")]);
    let outcomes: Vec<_> =
        a.indicators[0].comparisons.iter().map(|c| (c.requirement.class_short(), c.outcome)).collect();
    assert_eq!(outcomes, vec![(Some("A类"), Outcome::Lower), (Some("B类"), Outcome::Stricter)]);
}

#[test]
fn units_of_another_quantity_and_open_comparators_are_gaps() {
    let a = run(&textile(), &[ind("甲醛含量", Value::Number(0.1), Some("mg/m³"))], &[Some("B")]);
    assert!(a.problems.is_empty());
    assert_eq!(a.indicators[0].gaps[0].gap, Gap::Unit);
    assert!(a.has_gaps());
    let open =
        Declared { comparator: Some(Comparator::AtLeast), ..ind("甲醛含量", Value::Number(10.0), Some("mg/kg")) };
    let a = run(&textile(), &[open], &[Some("B")]);
    assert_eq!(a.indicators[0].gaps[0].gap, Gap::Comparator);
    let beyond =
        Declared { comparator: Some(Comparator::AtLeast), ..ind("甲醛含量", Value::Number(100.0), Some("mg/kg")) };
    assert_eq!(run(&textile(), &[beyond], &[Some("B")]).below_mandatory().count(), 1, "wholly above the limit");
}

#[test]
fn an_unreadable_or_missing_unit_is_a_problem_only_for_indicators_with_a_unit() {
    let a = run(
        &textile(),
        &[ind("甲醛含量", Value::Number(20.0), Some("毫克每千克")), ind("pH值", Value::Number(6.0), Some("whatever"))],
        &[Some("B")],
    );
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
    assert!(matches!(&a.problems[0], Problem::Unit { indicator: 0, .. }));
    assert_eq!(a.indicators[1].comparisons[0].outcome, Outcome::Stricter, "pH has no unit to read");
    let missing = run(&textile(), &[ind("甲醛含量", Value::Number(20.0), None)], &[Some("B")]);
    assert!(matches!(&missing.problems[0], Problem::Unit { unit: None, .. }));
}

#[test]
fn text_requirements_pass_or_fail() {
    let a = run(&textile(), &[ind("异味", Value::Text("无"), None)], &[Some("B")]);
    assert_eq!(a.indicators[0].comparisons[0].outcome, Outcome::Equal);
    assert_eq!(a.indicators[0].comparisons[0].words(), "符合 GB 18401-2010 要求：无");
    assert!(!a.stricter_than_national(), "a text requirement alone makes nothing stricter");
    let bad = run(&textile(), &[ind("异味", Value::Text("有异味"), None)], &[Some("B")]);
    assert_eq!(bad.below_mandatory().count(), 1);
    let vague = run(&textile(), &[ind("异味", Value::Text("轻微"), None)], &[Some("B")]);
    assert_eq!(vague.indicators[0].gaps[0].gap, Gap::Value);
}

#[test]
fn recommended_standards_are_compared_without_blocking() {
    let battery = Applicable { mandatory: Vec::new(), recommended: vec!["GB/T 36972-2018".into()] };
    let low = run(&battery, &[ind("质量能量密度", Value::Number(110.0), Some("Wh/kg"))], &[None]);
    assert_eq!(low.below_mandatory().count(), 0);
    assert_eq!(low.lower_recommended().count(), 1);
    assert_eq!(
        low.lower_recommended().next().map(|(_, c)| c.words()),
        Some("低于 GB/T 36972-2018 下限 120 Wh/kg".into())
    );
    let high = run(&battery, &[ind("质量能量密度", Value::Number(0.15), Some("kWh/kg"))], &[None]);
    assert_eq!(high.indicators[0].comparisons[0].outcome, Outcome::Stricter);
    assert_eq!(high.indicators[0].canonical.as_ref().and_then(|c| c.min), Some(150.0));
    assert!(high.stricter_than_national());
}

#[test]
fn an_explicit_code_wins_and_an_unknown_one_is_a_problem() {
    let d = Declared {
        code: Some("formaldehyde_content"),
        ..ind("游离甲醛（水萃取法）", Value::Number(20.0), Some("mg/kg"))
    };
    let a = run(&textile(), &[d], &[Some("B")]);
    assert_eq!(a.indicators[0].code.as_deref(), Some("formaldehyde_content"));
    let d = Declared { code: Some("no_such_code"), ..ind("甲醛含量", Value::Number(20.0), Some("mg/kg")) };
    let a = run(&textile(), &[d], &[Some("B")]);
    assert!(matches!(&a.problems[0], Problem::UnknownCode { indicator: 0, .. }));
}

#[test]
fn classes_match_by_letter_short_name_or_full_text() {
    let keys = class_keys("B类(直接接触皮肤的产品)");
    for typed in ["B", "b", "B类", "Ｂ类", "B类（直接接触皮肤的产品）"] {
        assert!(keys.contains(&name_key(typed)), "{typed}");
    }
    assert_eq!(class_keys("建筑主体材料"), vec!["建筑主体材料".to_string()]);
    assert_eq!(fmt_num(0.124), "0.124");
    assert_eq!(fmt_num(75.0), "75");
}

//! Units of measure of declared indicators: ONE table of every unit the registry reads, the quantity
//! (dimension) it measures and how it converts to that quantity's base unit
//! (`base = value × factor + offset`). Units convert only within a quantity. Declared units are read
//! after NFKC (full-width to half-width, `³` to `3`, `℃` to `°C`, `µ` to `μ`) without spaces, so
//! `mg/m³`, `mg/m3` and `ｍｇ／ｍ３` are one unit.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// A unit: its display symbol, the other ways people write it, its quantity and its conversion to
/// the quantity's base unit.
#[derive(Debug, PartialEq)]
pub struct Unit {
    /// How pages show it (`mg/m³`).
    pub symbol: &'static str,
    pub aliases: &'static [&'static str],
    pub quantity: &'static str,
    pub factor: f64,
    pub offset: f64,
}

const fn u(symbol: &'static str, aliases: &'static [&'static str], quantity: &'static str, factor: f64) -> Unit {
    Unit { symbol, aliases, quantity, factor, offset: 0.0 }
}

/// The quantities, with a Chinese label for messages. `dimensionless` has no unit (pH, indices).
pub const QUANTITIES: &[(&str, &str)] = &[
    ("dimensionless", "无量纲"),
    ("fraction", "含量/比率"),
    ("volume_fraction", "体积分数"),
    ("mass_concentration", "质量浓度/密度"),
    ("speed", "速度"),
    ("mass", "质量"),
    ("voltage", "电压"),
    ("current", "电流"),
    ("power", "功率"),
    ("energy", "能量"),
    ("specific_energy", "质量能量密度"),
    ("charge", "电荷量（容量）"),
    ("temperature", "温度"),
    ("sound_level", "A 计权声级"),
    ("decibel", "分贝"),
    ("length", "长度"),
    ("pressure", "压强/强度"),
    ("time", "时间"),
    ("count", "次数/个数"),
    ("volume", "体积"),
    ("volume_flow", "体积流量"),
    ("grade", "等级"),
    ("luminous_efficacy", "光效"),
    ("luminous_flux", "光通量"),
    ("resistance", "电阻"),
    ("linear_resistance", "单位长度电阻"),
    ("insulation_constant", "绝缘电阻常数"),
    ("energy_per_distance", "百公里电耗"),
    ("fuel_per_distance", "百公里油耗"),
    ("daily_energy", "日耗电量"),
    ("colony_count_volume", "菌落数（每毫升）"),
    ("colony_count_mass", "菌落数（每克）"),
    ("hardness_brinell", "布氏硬度"),
    ("surface_density", "面密度"),
    ("monthly_rate", "月变化率"),
    ("working_days", "工作日"),
    ("frequency", "频率"),
    ("color_rendering", "显色指数"),
];

/// Every unit, once. `factor` is relative to the quantity's base (for `fraction` the pure ratio 1,
/// for `mass_concentration` g/L, for `temperature` °C).
pub static UNITS: &[Unit] = &[
    // fractions by mass (and plain ratios): base 1
    u("%", &[], "fraction", 1e-2),
    u("‰", &[], "fraction", 1e-3),
    u("ppm", &[], "fraction", 1e-6),
    u("ppb", &[], "fraction", 1e-9),
    u("mg/kg", &[], "fraction", 1e-6),
    u("μg/kg", &["ug/kg"], "fraction", 1e-9),
    u("g/kg", &[], "fraction", 1e-3),
    u("mg/g", &[], "fraction", 1e-3),
    u("g/100g", &[], "fraction", 1e-2),
    u("%vol", &["%(V/V)", "%(v/v)", "%VOL", "vol%"], "volume_fraction", 1e-2),
    // mass per volume: base g/L
    u("g/L", &["g/l"], "mass_concentration", 1.0),
    u("mg/L", &["mg/l"], "mass_concentration", 1e-3),
    u("μg/L", &["ug/L", "μg/l"], "mass_concentration", 1e-6),
    u("mg/mL", &["mg/ml"], "mass_concentration", 1.0),
    u("g/100mL", &["g/100ml"], "mass_concentration", 10.0),
    u("mg/m³", &[], "mass_concentration", 1e-6),
    u("μg/m³", &["ug/m³"], "mass_concentration", 1e-9),
    u("g/m³", &[], "mass_concentration", 1e-3),
    u("kg/m³", &[], "mass_concentration", 1.0),
    u("g/cm³", &[], "mass_concentration", 1e3),
    u("km/h", &["公里/小时"], "speed", 1.0),
    u("m/s", &["米/秒"], "speed", 3.6),
    u("kg", &["Kg", "KG", "公斤", "千克"], "mass", 1.0),
    u("g", &["克"], "mass", 1e-3),
    u("mg", &["毫克"], "mass", 1e-6),
    u("t", &["吨"], "mass", 1e3),
    u("V", &["伏"], "voltage", 1.0),
    u("kV", &[], "voltage", 1e3),
    u("mV", &[], "voltage", 1e-3),
    u("A", &["安"], "current", 1.0),
    u("mA", &[], "current", 1e-3),
    u("μA", &["uA"], "current", 1e-6),
    u("W", &["瓦"], "power", 1.0),
    u("kW", &["KW", "千瓦"], "power", 1e3),
    u("mW", &[], "power", 1e-3),
    u("MW", &[], "power", 1e6),
    u("Wh", &[], "energy", 1.0),
    u("kWh", &["KWh", "kW·h", "度"], "energy", 1e3),
    u("J", &[], "energy", 1.0 / 3600.0),
    u("kJ", &[], "energy", 1.0 / 3.6),
    u("MJ", &[], "energy", 1e3 / 3.6),
    u("Wh/kg", &["W·h/kg"], "specific_energy", 1.0),
    u("kWh/kg", &[], "specific_energy", 1e3),
    u("Ah", &["A·h"], "charge", 1.0),
    u("mAh", &["mA·h"], "charge", 1e-3),
    u("°C", &["摄氏度"], "temperature", 1.0),
    Unit { symbol: "K", aliases: &[], quantity: "temperature", factor: 1.0, offset: -273.15 },
    u("dB(A)", &["dBA", "dB(a)"], "sound_level", 1.0),
    u("dB", &[], "decibel", 1.0),
    u("m", &["米"], "length", 1.0),
    u("mm", &["毫米"], "length", 1e-3),
    u("cm", &["厘米"], "length", 1e-2),
    u("μm", &["um"], "length", 1e-6),
    u("km", &["公里", "千米"], "length", 1e3),
    u("Pa", &["帕"], "pressure", 1.0),
    u("kPa", &[], "pressure", 1e3),
    u("MPa", &["N/mm²"], "pressure", 1e6),
    u("GPa", &[], "pressure", 1e9),
    u("s", &["秒"], "time", 1.0),
    u("min", &["分钟"], "time", 60.0),
    u("h", &["小时"], "time", 3600.0),
    u("d", &["天"], "time", 86400.0),
    u("次", &[], "count", 1.0),
    u("个", &[], "count", 1.0),
    u("万次", &[], "count", 1e4),
    u("L", &["l", "升"], "volume", 1.0),
    u("mL", &["ml", "毫升"], "volume", 1e-3),
    u("m³", &["立方米"], "volume", 1e3),
    u("L/min", &["l/min"], "volume_flow", 1.0),
    u("L/h", &["l/h"], "volume_flow", 1.0 / 60.0),
    u("mL/min", &["ml/min"], "volume_flow", 1e-3),
    u("m³/h", &[], "volume_flow", 1e3 / 60.0),
    u("级", &[], "grade", 1.0),
    u("lm/W", &[], "luminous_efficacy", 1.0),
    u("lm", &[], "luminous_flux", 1.0),
    u("Ω", &["ohm"], "resistance", 1.0),
    u("mΩ", &[], "resistance", 1e-3),
    u("kΩ", &[], "resistance", 1e3),
    u("MΩ", &[], "resistance", 1e6),
    u("Ω/km", &["mΩ/m"], "linear_resistance", 1.0),
    u("MΩ·km", &["MΩkm", "MΩ.km"], "insulation_constant", 1.0),
    u("kWh/100km", &["kW·h/100km"], "energy_per_distance", 1.0),
    u("Wh/km", &[], "energy_per_distance", 0.1),
    u("L/100km", &["l/100km"], "fuel_per_distance", 1.0),
    u("kWh/24h", &["kWh/d", "kW·h/24h"], "daily_energy", 1.0),
    u("CFU/mL", &["cfu/mL", "CFU/ml", "cfu/ml"], "colony_count_volume", 1.0),
    u("CFU/g", &["cfu/g"], "colony_count_mass", 1.0),
    u("HB", &["HBW"], "hardness_brinell", 1.0),
    u("mg/dm²", &[], "surface_density", 1.0),
    u("g/m²", &[], "surface_density", 10.0),
    u("%/月", &[], "monthly_rate", 1.0),
    u("工作日", &[], "working_days", 1.0),
    u("Hz", &[], "frequency", 1.0),
    u("kHz", &[], "frequency", 1e3),
    u("Ra", &[], "color_rendering", 1.0),
];

/// The reading form of a unit as typed: NFKC, no whitespace.
pub fn normalize(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

static BY_KEY: LazyLock<HashMap<String, &'static Unit>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for unit in UNITS {
        for s in std::iter::once(&unit.symbol).chain(unit.aliases) {
            m.insert(normalize(s), unit);
        }
    }
    m
});

/// The unit written as `s` (`None`: not a unit we read).
pub fn parse(s: &str) -> Option<&'static Unit> {
    BY_KEY.get(&normalize(s)).copied()
}

/// Whether a name is one of [`QUANTITIES`].
pub fn is_quantity(name: &str) -> bool {
    QUANTITIES.iter().any(|(q, _)| *q == name)
}

/// The Chinese label of a quantity (the name itself when unknown).
pub fn quantity_label(name: &str) -> &str {
    QUANTITIES.iter().find(|(q, _)| *q == name).map_or(name, |(_, l)| l)
}

/// The units of a quantity, display symbols, for messages.
pub fn symbols_of(quantity: &str) -> Vec<&'static str> {
    UNITS.iter().filter(|u| u.quantity == quantity).map(|u| u.symbol).collect()
}

/// `value` in `from` expressed in `to`; `None` when they measure different quantities. The same
/// unit gives the value back unchanged (no rounding).
pub fn convert(value: f64, from: &Unit, to: &Unit) -> Option<f64> {
    if from.quantity != to.quantity {
        return None;
    }
    if std::ptr::eq(from, to) {
        return Some(value);
    }
    if from.offset == 0.0 && to.offset == 0.0 {
        return Some(value * (from.factor / to.factor));
    }
    Some((value * from.factor + from.offset - to.offset) / to.factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
    }

    #[track_caller]
    fn conv(value: f64, from: &str, to: &str) -> f64 {
        let f = parse(from).unwrap_or_else(|| panic!("unit {from}"));
        let t = parse(to).unwrap_or_else(|| panic!("unit {to}"));
        convert(value, f, t).unwrap_or_else(|| panic!("{from} -> {to}"))
    }

    /// Every unit of the table, converted to its quantity's base unit, with the expected value.
    #[test]
    fn each_unit_converts_to_its_base() {
        let expected: &[(&str, f64, &str, f64)] = &[
            ("%", 1.0, "%", 1.0),
            ("‰", 10.0, "%", 1.0),
            ("ppm", 75.0, "mg/kg", 75.0),
            ("ppb", 20.0, "μg/kg", 20.0),
            ("mg/kg", 10_000.0, "%", 1.0),
            ("μg/kg", 1000.0, "mg/kg", 1.0),
            ("g/kg", 1.0, "mg/kg", 1000.0),
            ("mg/g", 1.0, "g/kg", 1.0),
            ("g/100g", 1.0, "%", 1.0),
            ("%vol", 52.0, "%vol", 52.0),
            ("g/L", 1.0, "mg/L", 1000.0),
            ("mg/L", 1.0, "mg/m³", 1000.0),
            ("μg/L", 1000.0, "mg/L", 1.0),
            ("mg/mL", 1.0, "g/L", 1.0),
            ("g/100mL", 1.0, "g/L", 10.0),
            ("mg/m³", 0.124, "μg/m³", 124.0),
            ("μg/m³", 1.0, "mg/m³", 0.001),
            ("g/m³", 1.0, "mg/m³", 1000.0),
            ("kg/m³", 1000.0, "g/cm³", 1.0),
            ("g/cm³", 1.0, "kg/m³", 1000.0),
            ("km/h", 25.0, "km/h", 25.0),
            ("m/s", 10.0, "km/h", 36.0),
            ("kg", 55.0, "g", 55_000.0),
            ("g", 1500.0, "kg", 1.5),
            ("mg", 1000.0, "g", 1.0),
            ("t", 1.0, "kg", 1000.0),
            ("V", 48.0, "mV", 48_000.0),
            ("kV", 1.25, "V", 1250.0),
            ("mV", 500.0, "V", 0.5),
            ("A", 1.0, "mA", 1000.0),
            ("mA", 0.25, "μA", 250.0),
            ("μA", 1000.0, "mA", 1.0),
            ("W", 400.0, "kW", 0.4),
            ("kW", 1.0, "W", 1000.0),
            ("mW", 500.0, "W", 0.5),
            ("MW", 1.0, "kW", 1000.0),
            ("Wh", 1000.0, "kWh", 1.0),
            ("kWh", 1.0, "MJ", 3.6),
            ("J", 3600.0, "Wh", 1.0),
            ("kJ", 3.6, "Wh", 1.0),
            ("MJ", 3.6, "kWh", 1.0),
            ("Wh/kg", 1000.0, "kWh/kg", 1.0),
            ("kWh/kg", 0.15, "Wh/kg", 150.0),
            ("Ah", 2.0, "mAh", 2000.0),
            ("mAh", 500.0, "Ah", 0.5),
            ("°C", 25.0, "K", 298.15),
            ("K", 273.15, "°C", 0.0),
            ("dB(A)", 70.0, "dB(A)", 70.0),
            ("dB", 40.0, "dB", 40.0),
            ("m", 1.0, "mm", 1000.0),
            ("mm", 10.0, "cm", 1.0),
            ("cm", 100.0, "m", 1.0),
            ("μm", 1000.0, "mm", 1.0),
            ("km", 1.0, "m", 1000.0),
            ("Pa", 1000.0, "kPa", 1.0),
            ("kPa", 1000.0, "MPa", 1.0),
            ("MPa", 1.0, "N/mm²", 1.0),
            ("GPa", 1.0, "MPa", 1000.0),
            ("s", 120.0, "min", 2.0),
            ("min", 90.0, "h", 1.5),
            ("h", 24.0, "d", 1.0),
            ("d", 1.0, "h", 24.0),
            ("次", 500.0, "次", 500.0),
            ("个", 3.0, "次", 3.0),
            ("万次", 20.0, "次", 200_000.0),
            ("L", 1.7, "mL", 1700.0),
            ("mL", 1000.0, "L", 1.0),
            ("m³", 1.0, "L", 1000.0),
            ("L/min", 60.0, "L/h", 3600.0),
            ("L/h", 60.0, "L/min", 1.0),
            ("mL/min", 1000.0, "L/min", 1.0),
            ("m³/h", 0.06, "L/min", 1.0),
            ("级", 2.0, "级", 2.0),
            ("lm/W", 120.0, "lm/W", 120.0),
            ("lm", 800.0, "lm", 800.0),
            ("Ω", 1000.0, "kΩ", 1.0),
            ("mΩ", 1000.0, "Ω", 1.0),
            ("kΩ", 1000.0, "MΩ", 1.0),
            ("MΩ", 1.0, "Ω", 1e6),
            ("Ω/km", 18.1, "mΩ/m", 18.1),
            ("MΩ·km", 50.0, "MΩ·km", 50.0),
            ("kWh/100km", 15.0, "Wh/km", 150.0),
            ("Wh/km", 150.0, "kWh/100km", 15.0),
            ("L/100km", 2.5, "L/100km", 2.5),
            ("kWh/24h", 0.95, "kWh/d", 0.95),
            ("CFU/mL", 10_000.0, "CFU/mL", 10_000.0),
            ("CFU/g", 100.0, "cfu/g", 100.0),
            ("HB", 200.0, "HBW", 200.0),
            ("mg/dm²", 10.0, "g/m²", 1.0),
            ("g/m²", 1.0, "mg/dm²", 10.0),
            ("%/月", 3.0, "%/月", 3.0),
            ("工作日", 5.0, "工作日", 5.0),
            ("Hz", 1000.0, "kHz", 1.0),
            ("kHz", 1.0, "Hz", 1000.0),
            ("Ra", 80.0, "Ra", 80.0),
        ];
        for unit in UNITS {
            assert!(expected.iter().any(|(f, ..)| *f == unit.symbol), "no conversion test for {}", unit.symbol);
            assert!(is_quantity(unit.quantity), "{} has an unknown quantity {}", unit.symbol, unit.quantity);
        }
        for (from, v, to, want) in expected {
            let got = conv(*v, from, to);
            assert!(close(got, *want), "{v} {from} = {got} {to}, want {want}");
        }
    }

    #[test]
    fn ppm_and_mg_per_kg_are_the_same_amount() {
        assert_eq!(conv(75.0, "ppm", "mg/kg"), 75.0);
        assert_eq!(conv(80.0, "mg/kg", "ppm"), 80.0);
        assert!(close(conv(0.0075, "%", "mg/kg"), 75.0));
        assert!(close(conv(0.075, "g/kg", "mg/kg"), 75.0));
    }

    #[test]
    fn the_same_unit_is_exact_and_other_quantities_do_not_convert() {
        let m3 = parse("mg/m³").expect("mg/m³");
        assert_eq!(convert(0.124, m3, m3), Some(0.124));
        assert_eq!(convert(1.0, m3, parse("mg/kg").expect("mg/kg")), None);
        assert_eq!(convert(1.0, parse("km/h").expect("km/h"), parse("kg").expect("kg")), None);
    }

    #[test]
    fn units_read_as_people_type_them() {
        for (typed, symbol) in [
            ("mg/m3", "mg/m³"),
            ("ｍｇ／ｍ３", "mg/m³"),
            ("mg / kg", "mg/kg"),
            ("℃", "°C"),
            ("dB（A）", "dB(A)"),
            ("µg/m³", "μg/m³"),
            ("Ω", "Ω"),
            ("ｋｍ／ｈ", "km/h"),
            ("％", "%"),
            ("Kg", "kg"),
        ] {
            assert_eq!(parse(typed).map(|u| u.symbol), Some(symbol), "{typed}");
        }
        for unknown in ["", "mg/kgx", "furlong", "斤斤"] {
            assert!(parse(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn every_symbol_and_alias_is_unique_and_each_quantity_has_units() {
        let mut seen = std::collections::HashSet::new();
        for unit in UNITS {
            for s in std::iter::once(&unit.symbol).chain(unit.aliases) {
                assert!(seen.insert(normalize(s)), "{s} appears twice");
            }
        }
        for (q, _) in QUANTITIES.iter().filter(|(q, _)| *q != "dimensionless") {
            assert!(!symbols_of(q).is_empty(), "no unit for {q}");
        }
    }
}

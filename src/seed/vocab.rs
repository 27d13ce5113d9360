//! Words for the demo data generator: sectors with their GB/T 4754 class, words for company names,
//! products, indicators (name, unit, comparator, range, safety) and the national standards such
//! products commonly execute. The standard numbers and titles listed are real national standards.

pub struct Indicator {
    pub name: &'static str,
    pub unit: &'static str,
    pub comparator: &'static str,
    pub low: f64,
    pub high: f64,
    pub decimals: u32,
    pub safety: bool,
}

const fn ind(
    name: &'static str,
    unit: &'static str,
    comparator: &'static str,
    low: f64,
    high: f64,
    decimals: u32,
    safety: bool,
) -> Indicator {
    Indicator { name, unit, comparator, low, high, decimals, safety }
}

pub struct Sector {
    /// GB/T 4754-2017 class, in API form.
    pub industry: &'static str,
    /// What the trade is called in a company name.
    pub trade: &'static [&'static str],
    pub products: &'static [&'static str],
    pub indicators: &'static [Indicator],
    /// (number, title) of national standards the sector's products execute.
    pub national: &'static [(&'static str, &'static str)],
    /// Sector codes of industry standards in this field.
    pub sector_codes: &'static [&'static str],
    /// Services, not products.
    pub service: bool,
    /// Relative frequency.
    pub weight: u32,
}

pub const SECTORS: &[Sector] = &[
    Sector {
        industry: "C3841",
        trade: &["新能源科技", "电池科技", "动力电池"],
        products: &[
            "锂离子电池组",
            "动力电池模组",
            "储能电池柜",
            "电动自行车用锂离子蓄电池",
            "磷酸铁锂电池",
            "三元锂电池包",
            "电池管理系统",
        ],
        indicators: &[
            ind("循环寿命", "次", ">=", 500.0, 3000.0, 0, false),
            ind("质量能量密度", "Wh/kg", ">=", 120.0, 260.0, 0, false),
            ind("额定容量", "Ah", ">=", 10.0, 280.0, 1, false),
            ind("过充电保护", "", "=", 0.0, 0.0, 0, true),
            ind("短路保护", "", "=", 0.0, 0.0, 0, true),
            ind("高温容量保持率", "%", ">=", 85.0, 98.0, 1, false),
            ind("自放电率", "%/月", "<=", 1.0, 5.0, 1, false),
        ],
        national: &[
            ("GB 31241-2022", "便携式电子产品用锂离子电池和电池组 安全技术规范"),
            ("GB 43854-2024", "电动自行车用锂离子蓄电池安全技术规范"),
            ("GB/T 36972-2018", "电动自行车用锂离子蓄电池"),
        ],
        sector_codes: &["QC/T", "SJ/T"],
        service: false,
        weight: 6,
    },
    Sector {
        industry: "C3751",
        trade: &["摩托车", "机车制造", "动力机械"],
        products: &["两轮摩托车", "三轮摩托车", "电动摩托车", "跨骑式摩托车", "踏板式摩托车"],
        indicators: &[
            ind("最高设计车速", "km/h", "<=", 50.0, 160.0, 0, true),
            ind("制动距离", "m", "<=", 5.0, 12.0, 1, true),
            ind("整车整备质量", "kg", "<=", 90.0, 260.0, 0, false),
            ind("燃油消耗量", "L/100km", "<=", 1.5, 4.0, 1, false),
            ind("加速行驶噪声", "dB(A)", "<=", 70.0, 80.0, 0, true),
        ],
        national: &[
            ("GB 7258-2017", "机动车运行安全技术条件"),
            ("GB 14622-2016", "摩托车污染物排放限值及测量方法（中国第四阶段）"),
        ],
        sector_codes: &["QC/T"],
        service: false,
        weight: 5,
    },
    Sector {
        industry: "C3670",
        trade: &["汽车零部件", "汽车配件", "精密机械"],
        products: &["汽车制动盘", "离合器总成", "汽车座椅骨架", "转向节", "汽车线束", "减震器", "发动机缸体"],
        indicators: &[
            ind("抗拉强度", "MPa", ">=", 200.0, 900.0, 0, true),
            ind("硬度", "HB", "range", 170.0, 260.0, 0, false),
            ind("尺寸公差", "mm", "<=", 0.01, 0.2, 2, false),
            ind("盐雾试验时间", "h", ">=", 48.0, 720.0, 0, false),
            ind("疲劳寿命", "万次", ">=", 20.0, 200.0, 0, true),
        ],
        national: &[("GB 7258-2017", "机动车运行安全技术条件")],
        sector_codes: &["QC/T", "JB/T"],
        service: false,
        weight: 6,
    },
    Sector {
        industry: "C3612",
        trade: &["新能源汽车", "汽车科技"],
        products: &["纯电动乘用车", "插电式混合动力汽车", "纯电动厢式运输车", "电动汽车充电桩"],
        indicators: &[
            ind("续驶里程", "km", ">=", 200.0, 700.0, 0, false),
            ind("百公里电耗", "kWh/100km", "<=", 11.0, 20.0, 1, false),
            ind("最高车速", "km/h", ">=", 100.0, 200.0, 0, false),
            ind("充电效率", "%", ">=", 90.0, 96.0, 1, false),
        ],
        national: &[("GB 7258-2017", "机动车运行安全技术条件")],
        sector_codes: &["QC/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C1469",
        trade: &["食品", "调味品", "火锅食品"],
        products: &["牛油火锅底料", "清油火锅底料", "麻辣香锅调料", "重庆小面调料", "鱼调料", "辣椒油", "花椒油"],
        indicators: &[
            ind("水分", "g/100g", "<=", 5.0, 25.0, 1, false),
            ind("酸价（以脂肪计）", "mg/g", "<=", 1.0, 4.0, 1, true),
            ind("过氧化值（以脂肪计）", "g/100g", "<=", 0.15, 0.25, 2, true),
            ind("食盐（以NaCl计）", "g/100g", "<=", 8.0, 20.0, 1, false),
            ind("总砷（以As计）", "mg/kg", "<=", 0.1, 0.5, 1, true),
            ind("铅（以Pb计）", "mg/kg", "<=", 0.2, 1.0, 1, true),
        ],
        national: &[
            ("GB 2760-2014", "食品安全国家标准 食品添加剂使用标准"),
            ("GB 2762-2022", "食品安全国家标准 食品中污染物限量"),
            ("GB 7718-2011", "食品安全国家标准 预包装食品标签通则"),
        ],
        sector_codes: &["SB/T"],
        service: false,
        weight: 7,
    },
    Sector {
        industry: "C1512",
        trade: &["酒业", "酿酒"],
        products: &["浓香型白酒", "清香型白酒", "小曲清香白酒", "高粱酒", "配制酒"],
        indicators: &[
            ind("酒精度", "%vol", "range", 38.0, 65.0, 0, false),
            ind("总酸（以乙酸计）", "g/L", ">=", 0.4, 1.0, 2, false),
            ind("甲醇（以100%酒精度计）", "g/L", "<=", 0.6, 2.0, 1, true),
            ind("氰化物（以HCN计）", "mg/L", "<=", 8.0, 8.0, 0, true),
        ],
        national: &[
            ("GB 2757-2012", "食品安全国家标准 蒸馏酒及其配制酒"),
            ("GB/T 10781.1-2021", "白酒质量要求 第1部分：浓香型白酒"),
        ],
        sector_codes: &["QB/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C1441",
        trade: &["乳业", "乳品"],
        products: &["纯牛奶", "发酵乳", "调制乳", "巴氏杀菌乳", "含乳饮料"],
        indicators: &[
            ind("蛋白质", "g/100g", ">=", 2.3, 3.6, 1, false),
            ind("脂肪", "g/100g", ">=", 2.5, 4.0, 1, false),
            ind("非脂乳固体", "g/100g", ">=", 8.1, 9.0, 1, false),
            ind("菌落总数", "CFU/mL", "<=", 10000.0, 100000.0, 0, true),
        ],
        national: &[
            ("GB 2762-2022", "食品安全国家标准 食品中污染物限量"),
            ("GB 7718-2011", "食品安全国家标准 预包装食品标签通则"),
        ],
        sector_codes: &["QB/T"],
        service: false,
        weight: 2,
    },
    Sector {
        industry: "C3851",
        trade: &["电器", "制冷设备"],
        products: &["家用电冰箱", "房间空气调节器", "冷柜", "除湿机", "家用制冰机"],
        indicators: &[
            ind("能效等级", "级", "<=", 1.0, 3.0, 0, false),
            ind("制冷量", "W", ">=", 2300.0, 7200.0, 0, false),
            ind("噪声", "dB(A)", "<=", 35.0, 55.0, 0, false),
            ind("泄漏电流", "mA", "<=", 0.25, 0.75, 2, true),
            ind("电气强度", "V", ">=", 1250.0, 3750.0, 0, true),
        ],
        national: &[
            ("GB 4706.1-2005", "家用和类似用途电器的安全 第1部分：通用要求"),
            ("GB 12021.2-2015", "家用电冰箱耗电量限定值及能效等级"),
            ("GB 21455-2019", "房间空气调节器能效限定值及能效等级"),
        ],
        sector_codes: &["QB/T"],
        service: false,
        weight: 4,
    },
    Sector {
        industry: "C3911",
        trade: &["电子科技", "信息技术", "智能科技"],
        products: &["笔记本电脑", "台式计算机", "平板电脑", "工控计算机", "服务器"],
        indicators: &[
            ind("平均故障间隔时间", "h", ">=", 20000.0, 100000.0, 0, false),
            ind("待机功率", "W", "<=", 0.5, 2.0, 1, false),
            ind("接触电流", "mA", "<=", 0.25, 3.5, 2, true),
            ind("工作温度范围上限", "℃", ">=", 35.0, 60.0, 0, false),
        ],
        national: &[
            ("GB 4943.1-2022", "音视频、信息技术和通信技术设备 第1部分：安全要求"),
            ("GB/T 9813.1-2016", "计算机通用规范 第1部分：台式微型计算机"),
        ],
        sector_codes: &["SJ/T"],
        service: false,
        weight: 4,
    },
    Sector {
        industry: "C3874",
        trade: &["照明", "光电科技"],
        products: &["LED筒灯", "LED路灯", "智能吸顶灯", "LED面板灯", "太阳能路灯"],
        indicators: &[
            ind("光效", "lm/W", ">=", 80.0, 160.0, 0, false),
            ind("显色指数", "Ra", ">=", 70.0, 95.0, 0, false),
            ind("功率因数", "", ">=", 0.5, 0.98, 2, false),
            ind("防触电保护", "", "=", 0.0, 0.0, 0, true),
        ],
        national: &[("GB 7000.1-2015", "灯具 第1部分：一般要求与试验")],
        sector_codes: &["QB/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C3831",
        trade: &["电线电缆", "线缆"],
        products: &["聚氯乙烯绝缘电线", "交联聚乙烯绝缘电力电缆", "阻燃电缆", "光伏电缆", "控制电缆"],
        indicators: &[
            ind("导体直流电阻", "Ω/km", "<=", 0.1, 18.1, 2, true),
            ind("绝缘厚度平均值", "mm", ">=", 0.6, 3.4, 1, false),
            ind("绝缘电阻", "MΩ·km", ">=", 0.01, 50.0, 2, false),
            ind("阻燃性能", "", "=", 0.0, 0.0, 0, true),
        ],
        national: &[],
        sector_codes: &["JB/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C3021",
        trade: &["建材", "水泥制品", "新型建材"],
        products: &["预拌混凝土", "混凝土砌块", "预制混凝土管桩", "蒸压加气混凝土砌块", "干混砂浆"],
        indicators: &[
            ind("抗压强度", "MPa", ">=", 3.5, 60.0, 1, true),
            ind("干密度", "kg/m³", "<=", 500.0, 2400.0, 0, false),
            ind("放射性内照射指数", "", "<=", 1.0, 1.0, 1, true),
            ind("吸水率", "%", "<=", 5.0, 20.0, 1, false),
        ],
        national: &[("GB 6566-2010", "建筑材料放射性核素限量"), ("GB 175-2023", "通用硅酸盐水泥")],
        sector_codes: &["JC/T"],
        service: false,
        weight: 4,
    },
    Sector {
        industry: "C2110",
        trade: &["家具", "木业"],
        products: &["实木餐桌", "板式衣柜", "儿童床", "办公桌", "实木椅"],
        indicators: &[
            ind("甲醛释放量", "mg/m³", "<=", 0.05, 0.124, 3, true),
            ind("含水率", "%", "range", 8.0, 14.0, 0, false),
            ind("漆膜附着力", "级", "<=", 1.0, 3.0, 0, false),
            ind("稳定性", "", "=", 0.0, 0.0, 0, true),
        ],
        national: &[
            ("GB 18580-2017", "室内装饰装修材料 人造板及其制品中甲醛释放限量"),
            ("GB 28007-2011", "儿童家具通用技术条件"),
            ("GB/T 3324-2017", "木家具通用技术条件"),
        ],
        sector_codes: &["QB/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C1811",
        trade: &["服饰", "纺织"],
        products: &["运动服", "针织T恤", "儿童外套", "羽绒服", "校服"],
        indicators: &[
            ind("甲醛含量", "mg/kg", "<=", 20.0, 75.0, 0, true),
            ind("pH值", "", "range", 4.0, 8.5, 1, true),
            ind("耐水色牢度", "级", ">=", 3.0, 4.0, 0, false),
            ind("纤维含量偏差", "%", "<=", 3.0, 5.0, 0, false),
        ],
        national: &[
            ("GB 18401-2010", "国家纺织产品基本安全技术规范"),
            ("GB 31701-2015", "婴幼儿及儿童纺织产品安全技术规范"),
        ],
        sector_codes: &["FZ/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C2927",
        trade: &["塑料制品", "包装材料"],
        products: &["塑料保鲜盒", "食品包装袋", "塑料餐盒", "PE购物袋", "塑料水杯"],
        indicators: &[
            ind("总迁移量", "mg/dm²", "<=", 10.0, 10.0, 0, true),
            ind("高锰酸钾消耗量", "mg/kg", "<=", 10.0, 10.0, 0, true),
            ind("拉伸强度", "MPa", ">=", 10.0, 40.0, 0, false),
            ind("厚度偏差", "%", "<=", 10.0, 20.0, 0, false),
        ],
        national: &[("GB 4806.7-2016", "食品安全国家标准 食品接触用塑料材料及制品")],
        sector_codes: &["QB/T"],
        service: false,
        weight: 3,
    },
    Sector {
        industry: "C2740",
        trade: &["药业", "中药"],
        products: &["感冒清热颗粒", "板蓝根颗粒", "中药饮片", "养生茶"],
        indicators: &[
            ind("水分", "%", "<=", 6.0, 13.0, 1, false),
            ind("重金属", "mg/kg", "<=", 10.0, 20.0, 0, true),
            ind("装量差异", "%", "<=", 5.0, 8.0, 0, false),
        ],
        national: &[],
        sector_codes: &["YY/T"],
        service: false,
        weight: 2,
    },
    Sector {
        industry: "C3589",
        trade: &["医疗器械", "生物科技"],
        products: &["医用外科口罩", "一次性使用医用口罩", "电子体温计", "医用防护服", "家用血压计"],
        indicators: &[
            ind("细菌过滤效率", "%", ">=", 95.0, 99.0, 0, true),
            ind("通气阻力", "Pa", "<=", 49.0, 60.0, 0, false),
            ind("测量误差", "℃", "<=", 0.1, 0.2, 1, true),
        ],
        national: &[],
        sector_codes: &["YY/T"],
        service: false,
        weight: 2,
    },
    Sector {
        industry: "I6513",
        trade: &["软件", "信息技术", "网络科技"],
        products: &[
            "政务服务平台软件",
            "网络安全等级保护测评服务",
            "数据安全管理系统",
            "企业资源计划软件",
            "移动应用开发服务",
        ],
        indicators: &[
            ind("系统可用性", "%", ">=", 99.0, 99.99, 2, false),
            ind("并发用户数", "个", ">=", 500.0, 20000.0, 0, false),
            ind("平均响应时间", "s", "<=", 0.5, 3.0, 1, false),
            ind("数据备份周期", "h", "<=", 1.0, 24.0, 0, true),
        ],
        national: &[
            ("GB/T 22239-2019", "信息安全技术 网络安全等级保护基本要求"),
            ("GB/T 35273-2020", "信息安全技术 个人信息安全规范"),
            ("GB/T 28448-2019", "信息安全技术 网络安全等级保护测评要求"),
        ],
        sector_codes: &["SJ/T", "GA/T"],
        service: true,
        weight: 4,
    },
    Sector {
        industry: "M7451",
        trade: &["检测技术", "检验认证"],
        products: &["食品安全检测服务", "机动车安全技术检验", "建筑材料检测服务", "环境监测服务"],
        indicators: &[
            ind("检测报告出具时限", "工作日", "<=", 3.0, 10.0, 0, false),
            ind("能力验证满意率", "%", ">=", 90.0, 100.0, 0, false),
            ind("样品留存期", "d", ">=", 30.0, 90.0, 0, false),
        ],
        national: &[],
        sector_codes: &["RB/T"],
        service: true,
        weight: 2,
    },
    Sector {
        industry: "H6110",
        trade: &["酒店管理", "餐饮管理"],
        products: &["住宿服务", "餐饮服务", "会议服务", "火锅餐饮服务"],
        indicators: &[
            ind("客房清洁合格率", "%", ">=", 95.0, 100.0, 0, false),
            ind("投诉处理时限", "h", "<=", 2.0, 24.0, 0, false),
            ind("餐具消毒合格率", "%", ">=", 98.0, 100.0, 0, true),
        ],
        national: &[],
        sector_codes: &["LB/T", "SB/T"],
        service: true,
        weight: 2,
    },
];

/// Characters of trade names (字号).
pub const NAME_CHARS: &[char] = &[
    '渝', '鑫', '华', '恒', '泰', '嘉', '瑞', '丰', '盛', '达', '宏', '远', '通', '宇', '科', '创', '凯', '锦', '川',
    '峰', '旭', '晨', '辉', '祥', '顺', '安', '康', '源', '润', '和', '美', '佳', '德', '信', '诚', '联', '合', '新',
    '兴', '隆', '昌', '明', '成', '卓', '越', '博', '雅', '天', '海', '江', '山', '城', '金', '银', '永', '长', '力',
    '展', '腾', '飞', '中', '东', '西', '南', '北', '庆', '友', '邦', '众', '汇', '鼎', '益', '星', '光', '之', '诺',
    '亚', '欧', '巴', '蜀', '渝', '涪', '綦', '璧',
];

/// Trades of social organizations and the codes they use in T/ numbers.
pub const ASSOCIATIONS: &[(&str, &str)] = &[
    ("重庆市火锅协会", "CQHG"),
    ("重庆市汽车摩托车行业协会", "CQAMA"),
    ("重庆市电子信息产业协会", "CQEIA"),
    ("重庆市食品工业协会", "CQFIA"),
    ("重庆市标准化协会", "CQAS"),
    ("重庆市建筑材料协会", "CQBMA"),
    ("重庆市新能源汽车产业联盟", "CQNEV"),
    ("重庆市软件行业协会", "CQSIA"),
    ("重庆市家具行业协会", "CQFUA"),
    ("重庆市照明电器协会", "CQLEA"),
    ("重庆市检验检测认证协会", "CQTIC"),
    ("重庆市餐饮行业协会", "CQCYA"),
];

/// The share of each kind of standard among enterprise declarations, in percent.
pub const TYPE_MIX: &[(&str, u32)] = &[
    ("enterprise", 46),
    ("national_recommended", 22),
    ("national_mandatory", 12),
    ("industry", 9),
    ("group", 6),
    ("local", 5),
];

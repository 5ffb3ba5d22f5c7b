//! The kinds the registries record about enterprises, providers, products
//! and a programme's regions (DOMAIN.md §3).

crate::code_enum! {
    /// 企业规模: the national size classes of SMEs.
    pub enum SizeClass ("size class") {
        /// 微型
        Micro = "micro",
        /// 小型
        Small = "small",
        /// 中型
        Medium = "medium",
    }
}

impl SizeClass {
    /// The Chinese term of import sheets (微型, 小型, 中型).
    pub fn name_zh(self) -> &'static str {
        match self {
            SizeClass::Micro => "微型",
            SizeClass::Small => "小型",
            SizeClass::Medium => "中型",
        }
    }
}

crate::code_enum! {
    /// An enterprise's tier in a programme: 储备库 → 试点库 → 示范库.
    pub enum Tier ("tier") {
        /// 储备库
        Reserve = "reserve",
        /// 试点库
        Pilot = "pilot",
        /// 示范库
        Demonstration = "demonstration",
    }
}

impl Tier {
    pub fn name_zh(self) -> &'static str {
        match self {
            Tier::Reserve => "储备库",
            Tier::Pilot => "试点库",
            Tier::Demonstration => "示范库",
        }
    }
}

crate::code_enum! {
    /// 服务商类型.
    pub enum ProviderKind ("provider kind") {
        /// 综合型
        Comprehensive = "comprehensive",
        /// 场景型
        Scenario = "scenario",
    }
}

crate::code_enum! {
    /// 服务类别.
    pub enum Specialty ("provider specialty") {
        /// 行业集成
        Integrator = "integrator",
        /// 专业
        Specialist = "specialist",
    }
}

crate::code_enum! {
    /// How a product is deployed.
    pub enum Deployment ("deployment") {
        Saas = "saas",
        OnPremises = "on_premises",
        Hybrid = "hybrid",
    }
}

crate::code_enum! {
    /// Kinds of region a programme is organised by (县(市、区)/园区).
    pub enum RegionKind ("region kind") {
        /// 市辖区
        District = "district",
        /// 县
        County = "county",
        /// 县级市
        CountyCity = "county_city",
        /// 园区、开发区、能源化工基地
        Park = "park",
        /// 功能区
        FunctionalZone = "functional_zone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        fn check<T: Code + serde::Serialize + std::str::FromStr>() {
            for v in T::VALUES {
                assert_eq!(T::from_code(v.code()), Some(*v));
                assert_eq!(
                    serde_json::to_string(v).unwrap(),
                    format!("\"{}\"", v.code())
                );
            }
            assert!(T::from_code("no such code").is_none());
        }
        check::<SizeClass>();
        check::<Tier>();
        check::<ProviderKind>();
        check::<Specialty>();
        check::<Deployment>();
        check::<RegionKind>();
        assert_eq!(
            "huge".parse::<SizeClass>().unwrap_err().to_string(),
            "`huge` is not a size class"
        );
    }
}

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The actors of DOMAIN.md §2. A user holds one or more grants, each a role
/// with the scope that role needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    CityAdmin,
    Finance,
    CountyAdmin,
    Enterprise,
    Provider,
    Evaluator,
    Auditor,
    Expert,
    SyncClient,
    Observer,
}

impl Role {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "Operator of the deployment: everything.",
            Role::CityAdmin => "市工信局 pilot office (专班): one programme.",
            Role::Finance => "市财政局: one programme, money.",
            Role::CountyAdmin => "县(市、区)/园区: one programme and some of its regions.",
            Role::Enterprise => "An SME's staff: their enterprise.",
            Role::Provider => "A service provider's staff (服务商): their provider.",
            Role::Evaluator => "Third-party acceptance agency (验收机构): assigned projects.",
            Role::Auditor => "Accounting firm / audit supervisor (审计监督): assigned projects.",
            Role::Expert => "Expert pool (专家库): assigned reviews.",
            Role::SyncClient => "The national public-service platform and other systems.",
            Role::Observer => "Leadership with read-only dashboards: one programme.",
        }
    }

    pub const ALL: [Role; 11] = [
        Role::PlatformAdmin,
        Role::CityAdmin,
        Role::Finance,
        Role::CountyAdmin,
        Role::Enterprise,
        Role::Provider,
        Role::Evaluator,
        Role::Auditor,
        Role::Expert,
        Role::SyncClient,
        Role::Observer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::CityAdmin => "city_admin",
            Role::Finance => "finance",
            Role::CountyAdmin => "county_admin",
            Role::Enterprise => "enterprise",
            Role::Provider => "provider",
            Role::Evaluator => "evaluator",
            Role::Auditor => "auditor",
            Role::Expert => "expert",
            Role::SyncClient => "sync_client",
            Role::Observer => "observer",
        }
    }

    /// Roles whose grant is bounded by one programme.
    pub fn is_program_scoped(self) -> bool {
        matches!(
            self,
            Role::CityAdmin
                | Role::Finance
                | Role::CountyAdmin
                | Role::Evaluator
                | Role::Auditor
                | Role::Expert
                | Role::Observer
        )
    }
}

impl crate::Code for Role {
    const WHAT: &'static str = "role";
    const NAME: &'static str = "Role";
    const ABOUT: &'static str = "A role a user holds in a scope (DOMAIN.md §2).";
    const VALUES: &'static [Self] = &Role::ALL;

    fn code(self) -> &'static str {
        self.as_str()
    }

    fn meaning(self) -> &'static str {
        Role::meaning(self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_code() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
    }

    #[test]
    fn unknown_role_is_refused() {
        assert_eq!("mayor".parse::<Role>(), Err(UnknownRole("mayor".into())));
    }
}
